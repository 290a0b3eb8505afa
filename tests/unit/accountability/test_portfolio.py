"""Portfolio search on a registry of real assessments: the bundled image and a variant with
a later dnsmasq, by component range, PURL, CPE, CVE (as the re-audit sees it) and KEV; the
CLI and the API give the same answer."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from test_reaudit import World

from assay.accountability.portfolio import Query, search
from assay.cli import cli
from assay.errors import UsageError
from assay.web import Settings, create_app


def variant(document: dict[str, Any]) -> dict[str, Any]:
    """The same router model under another name, with dnsmasq 2.78 instead of 2.62."""
    doc = copy.deepcopy(document)
    doc["identity"]["model"] = "TL-WR703N-B"
    for c in doc["components"]:
        if c["name"] == "dnsmasq":
            c["version"] = "2.78-1"
            c["purl"] = c["purl"].replace("2.62-2", "2.78-1")
    doc["vulnerabilities"] = [v for v in doc["vulnerabilities"] if "dnsmasq" not in v["component"]]
    return doc


@pytest.mark.slow
def test_search_by_component_cve_and_kev(
    world: World, feeds: tuple[Path, Path], tmp_path: Path
) -> None:
    original = world.scan()
    world.registry.add(original)
    world.registry.add(variant(original))
    found = search(world.registry, Query(component="dnsmasq<2.78"))
    assert found["total"] == 1 and found["items"][0]["matched"] == ["dnsmasq 2.62-2"]
    assert search(world.registry, Query(component="dnsmasq>=2.78"))["items"][0]["matched"] == [
        "dnsmasq 2.78-1"
    ]
    assert search(world.registry, Query(component="dnsmasq"))["total"] == 2
    assert search(world.registry, Query(purl="pkg:opkg/openwrt/dnsmasq@2.78-1"))["total"] == 1
    assert search(world.registry, Query(component="no-such-thing"))["total"] == 0
    kernel = next(
        c["cpe"]
        for c in original["components"]
        if c["cpe"].startswith("cpe:2.3:o:linux:linux_kernel")
    )
    assert search(world.registry, Query(cpe=kernel.rsplit(":", 8)[0]))["total"] == 2
    # vulnerabilities as the re-audit sees them: Dirty COW arrives with the feed change
    url = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    db = str(tmp_path / "vulns.sqlite")
    runner = CliRunner()
    assert runner.invoke(cli, ["registry", "reaudit", "--registry", url, "--db", db]).exit_code == 0
    assert search(world.registry, Query(cve="CVE-2016-5195"))["total"] == 0
    world.store.import_paths([feeds[1]])
    assert runner.invoke(cli, ["registry", "reaudit", "--registry", url, "--db", db]).exit_code == 0
    dirty = search(world.registry, Query(cve="CVE-2016-5195"))
    assert dirty["total"] == 2 and dirty["products"] == 2
    assert dirty["items"][0]["matched"] == ["CVE-2016-5195 (known exploited)"]
    both = search(world.registry, Query(cve="CVE-2016-5195", component="dnsmasq<2.78"))
    assert both["total"] == 1
    res = runner.invoke(
        cli, ["registry", "search", "--component", "dnsmasq<2.78", "--registry", url, "--json"]
    )
    assert json.loads(res.output)["total"] == 1
    with TestClient(create_app(Settings(), world.registry)) as client:
        got = client.get("/api/v1/search", params={"cve": "CVE-2016-5195", "limit": 1})
        assert got.status_code == 200
        body = got.json()
        assert body["total"] == 2 and len(body["items"]) == 1
        assert (
            client.get("/api/v1/search", params={"offset": 1, "cve": "CVE-2016-5195"}).json()[
                "items"
            ][0]["product"]
            != body["items"][0]["product"]
        )
        bad = client.get("/api/v1/search", params={"component": "dnsmasq<<2"})
        assert bad.status_code == 400 and "component query" in bad.json()["error"]["message"]
        assert client.get("/api/v1/search").status_code == 400


def test_bad_queries(world: World) -> None:
    with pytest.raises(UsageError, match="say what to search for"):
        search(world.registry, Query())
    with pytest.raises(UsageError, match="not a vulnerability id"):
        search(world.registry, Query(cve="'; drop table products"))
    with pytest.raises(UsageError, match="not a PURL"):
        search(world.registry, Query(purl="dnsmasq"))
