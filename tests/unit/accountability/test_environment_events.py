"""End to end: an environment of registered firmware in the registry, a feed change, and the
environment event the re-audit raises (issue 17: "a new KEV CVE affects N devices in Z zones;
isolating them cuts off ...")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import select
from test_reaudit import World

from assay.accountability import audit_tables as a
from assay.cli import cli
from assay.registry import tables as t


@pytest.mark.slow
def test_a_feed_change_raises_an_environment_event(
    world: World, feeds: tuple[Path, Path], tmp_path: Path
) -> None:
    world.registry.add(world.scan())
    with world.registry.sessions() as session:
        slug, version = session.execute(
            select(t.Product.slug, t.Firmware.version).join(t.Firmware)
        ).one()
    ref = f"{slug}@{version}"
    building = {
        "name": "Clinic",
        "zones": [{"id": "ward-a"}, {"id": "ward-b"}, {"id": "office"}],
        "functions": [
            {"id": "nurse-call", "criticality": "critical"},
            {"id": "wifi", "criticality": "medium"},
        ],
        "nodes": [{"id": "core", "kind": "uplink"}],
        "devices": [
            # the two ward access points run the registered router firmware...
            {"id": "ap-a", "zone": "ward-a", "registry": ref, "functions": ["wifi"]},
            {"id": "ap-b", "zone": "ward-b", "registry": ref, "functions": ["wifi"]},
            # ...and the nurse-call units of ward B reach the network only through ap-b
            {"id": "call-b", "zone": "ward-b", "functions": ["nurse-call"], "count": 3},
            {"id": "pc", "zone": "office", "components": [{"name": "windows", "version": "11"}]},
        ],
        "links": [["core", "ap-a"], ["core", "ap-b"], ["ap-b", "call-b"], ["core", "pc"]],
        "uplinks": ["core"],
    }
    path = tmp_path / "clinic.yaml"
    path.write_text(yaml.safe_dump(building))
    url = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    db = str(tmp_path / "vulns.sqlite")
    runner = CliRunner()
    res = runner.invoke(cli, ["environment", "add", str(path), "--registry", url])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["registry", "reaudit", "--registry", url, "--db", db, "--json"])
    assert res.exit_code == 0, res.output
    world.store.import_paths([feeds[1]])  # the feed change: Dirty COW and others arrive
    res = runner.invoke(cli, ["registry", "reaudit", "--registry", url, "--db", db])
    assert res.exit_code == 0, res.output
    assert "environments: " in res.output
    with world.registry.sessions() as session:
        events = [
            p
            for k, p in session.execute(select(a.OutboxEvent.kind, a.OutboxEvent.payload))
            if k == "environment.kev"
        ]
    by_cve = {e["vulnerability"]: e for e in events}
    dirty = by_cve["CVE-2016-5195"]
    assert dirty["environment"] == "Clinic" and dirty["firmware"] == [ref]
    assert dirty["affected"]["devices"] == 2
    assert dirty["affected"]["zones"] == {"ward-a": 1, "ward-b": 1}
    lost = dirty["collateral_if_isolated"]
    assert lost["devices"] == 3 and lost["zones"] == {"ward-b": 3}
    assert lost["functions"]["nurse-call"] == {"devices": 3, "criticality": "critical"}
    assert "cuts off 3 more in ward-b (nurse-call)" in dirty["message"]
    # read once: a re-audit with nothing new raises nothing again
    before = len(events)
    res = runner.invoke(cli, ["registry", "reaudit", "--registry", url, "--db", db, "--json"])
    assert json.loads(res.output)["environment_events"] == 0
    with world.registry.sessions() as session:
        kinds = [k for (k,) in session.execute(select(a.OutboxEvent.kind))]
    assert kinds.count("environment.kev") == before
