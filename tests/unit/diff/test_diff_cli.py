"""``assay diff`` on the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from realdata import MR3020
from test_diff import _upgraded

from assay.cli.diff import command


def test_cli_text_and_json(wr703n: dict[str, Any], mr3020: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps(wr703n))
    out_dir = tmp_path / "scan-out"
    out_dir.mkdir()
    (out_dir / "assessment.json").write_text(json.dumps(_upgraded(wr703n)))
    runner = CliRunner()
    res = runner.invoke(command, [str(tmp_path / "a.json"), str(out_dir), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["summary"]["fixed"] == 1 and data["summary"]["removed"] == 1
    (tmp_path / "b.json").write_text(json.dumps(mr3020))
    res = runner.invoke(command, [str(tmp_path / "a.json"), str(tmp_path / "b.json")])
    assert res.exit_code == 0, res.output
    assert "TL-MR3020" in res.output and "81 unchanged" in res.output


def test_cli_rejects_what_is_not_an_assessment(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}')
    res = CliRunner().invoke(command, [str(bad), str(bad)])
    assert res.exit_code != 0
    assert "$.components is missing" in str(res.exception)


@pytest.mark.slow
def test_diff_of_two_real_images_through_the_pipeline(shared_data: Path) -> None:
    """Both images scanned by ``assay.pipeline``: same rootfs, only the model differs."""
    root = Path(__file__).resolve().parents[3]
    wr703n = root / "data/firmware/openwrt-12.09-tl-wr703n-v1-squashfs-factory.bin.xz"
    mr3020 = shared_data / MR3020
    res = CliRunner().invoke(command, [str(wr703n), str(mr3020), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["identity"] == [{"field": "model", "old": "TL-WR703N", "new": "TL-MR3020"}]
    assert data["components"] == [] and data["vulnerabilities"] == []
    assert data["findings"] == [] and data["verdicts"] == []
    assert data["unchanged_components"] > 80 and data["still_open"]
