"""``assay registry reaudit`` and ``assay registry webhook`` end to end on real data."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_reaudit import World
from test_webhooks import Receiver

from assay.cli import cli


@pytest.mark.slow
def test_reaudit_command_with_a_webhook(
    world: World, feeds: tuple[Path, Path], tmp_path: Path
) -> None:
    world.registry.add(world.scan())
    url = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    db = str(tmp_path / "vulns.sqlite")
    runner = CliRunner()
    rx = Receiver()
    try:
        res = runner.invoke(cli, ["registry", "webhook", "add", rx.url, "--registry", url])
        assert res.exit_code == 0, res.output
        res = runner.invoke(cli, ["registry", "reaudit", "--registry", url, "--db", db, "--json"])
        assert res.exit_code == 0, res.output
        assert json.loads(res.output)["enrolled"] == 1
        world.store.import_paths([feeds[1]])
        res = runner.invoke(cli, ["registry", "reaudit", "--registry", url, "--db", db])
        assert res.exit_code == 0, res.output
        assert "new        CVE-2016-5195" in res.output and "[known exploited]" in res.output
        assert "1 of 1 firmware re-matched" in res.output
        kinds = {b["kind"] for b in rx.bodies}
        assert kinds == {"finding.new", "reaudit.completed"}
        listed = {f["vulnerability"] for b in rx.bodies for f in b.get("findings", [])}
        assert {"CVE-2014-3153", "CVE-2016-5195"} <= listed
    finally:
        rx.close()
    res = runner.invoke(cli, ["registry", "webhook", "add", "ftp://x", "--registry", url])
    assert res.exit_code != 0


def test_report_command_records_once(
    world: World, feeds: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from assay.accountability.submissions import submissions
    from assay.cli import main

    world.registry.add(world.scan())
    world.store.import_paths([feeds[1]])
    url = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    db = str(tmp_path / "vulns.sqlite")
    assert main(["registry", "reaudit", "--registry", url, "--db", db, "--no-deliver"]) == 0
    slug = "tp-link-tl-wr703n-v1"
    args = ["registry", "report", slug, "cve-2016-5195", "early_warning", "--registry", url]
    # the case started when the re-audit first saw it (just now): a report cannot precede it
    assert main([*args, "--at", "2000-01-01T00:00:00"]) == 2
    assert "precedes the case, which started" in capsys.readouterr().err
    assert main([*args, "--at", "2999-01-01T00:00:00"]) == 2
    assert "in the future" in capsys.readouterr().err
    time.sleep(1)  # whole seconds only: a time after the re-audit's
    sent = datetime.now(UTC).replace(microsecond=0)
    at = sent.strftime("%Y-%m-%dT%H:%M:%S")
    assert main([*args, "--at", at, "--reference", "CSIRT-7"]) == 0
    assert "recorded: early_warning on CVE-2016-5195" in capsys.readouterr().out
    assert main(args) == 2
    assert "already recorded" in capsys.readouterr().err
    assert main([*args[:4], "draft", "--registry", url]) == 2  # not a stage
    recorded = submissions(world.registry, slug)
    assert [(stage, when.isoformat()) for stage, when in recorded["CVE-2016-5195"]] == [
        ("early_warning", sent.isoformat())
    ]
