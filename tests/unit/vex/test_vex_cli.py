"""``assay vex`` on the command line, on the real WR703N assessment and real documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from assay.cli.vex import command
from assay.errors import InputError
from assay.present.vex import csaf_problems


def test_export_each_format_and_import_back(
    wr703n_assessment: dict[str, Any], tmp_path: Path
) -> None:
    src = tmp_path / "assessment.json"
    src.write_text(json.dumps(wr703n_assessment))
    runner = CliRunner()
    for fmt in ("csaf-vex", "csaf-advisory", "openvex", "cyclonedx"):
        out = tmp_path / f"{fmt}.json"
        res = runner.invoke(command, ["export", str(src), "--format", fmt, "--out", str(out)])
        assert res.exit_code == 0, res.output
        res = runner.invoke(command, ["validate", str(out)])
        assert res.exit_code == 0 and "valid" in res.output, res.output
        res = runner.invoke(command, ["import", str(src), str(out), "--json"])
        assert res.exit_code == 0, res.output
        assert {r["status"] for r in json.loads(res.output)} == {"affected"}
    doc = json.loads((tmp_path / "csaf-vex.json").read_text())
    assert csaf_problems(doc) == []


def test_import_marks_not_affected(wr703n_assessment: dict[str, Any], tmp_path: Path) -> None:
    src = tmp_path / "assessment.json"
    src.write_text(json.dumps(wr703n_assessment))
    kernel = next(c for c in wr703n_assessment["components"] if c["name"] == "linux")
    vex = {
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "urn:uuid:2c1e9e6a-6d2b-4a8e-9d62-0d7b3c8e0f11",
        "author": "TP-Link PSIRT",
        "timestamp": "2026-11-27T10:00:00Z",
        "version": 1,
        "statements": [
            {
                "vulnerability": {"name": "CVE-2013-2094"},
                "products": [{"@id": kernel["cpe"]}],
                "status": "not_affected",
                "justification": "vulnerable_code_not_present",
                "impact_statement": "perf events are not built into this kernel.",
            }
        ],
    }
    vex_path = tmp_path / "tplink.openvex.json"
    vex_path.write_text(json.dumps(vex))
    res = CliRunner().invoke(command, ["import", str(src), str(vex_path), "--json"])
    assert res.exit_code == 0, res.output
    rows = {r["vulnerability"]: r for r in json.loads(res.output)}
    assert rows["CVE-2013-2094"]["status"] == "not_affected"
    assert "vulnerable_code_not_present" in rows["CVE-2013-2094"]["reason"]
    assert rows["CVE-2014-3153"]["status"] == "affected"
    # the exported CSAF VEX now carries it as known_not_affected with the flag
    out = tmp_path / "csaf.json"
    res = CliRunner().invoke(
        command, ["export", str(src), "--vex", str(vex_path), "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    vuln = next(v for v in doc["vulnerabilities"] if v["cve"] == "CVE-2013-2094")
    assert list(vuln["product_status"]) == ["known_not_affected"]
    assert vuln["flags"][0]["label"] == "vulnerable_code_not_present"


def test_validate_lists_problems(shared_data: Path, tmp_path: Path) -> None:
    doc = json.loads((shared_data / "csaf/cisa-csaf/sample/icsa-24-291-01.json").read_text())
    doc["document"]["tracking"]["version"] = "7"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    res = CliRunner().invoke(command, ["validate", str(bad)])
    assert res.exit_code != 0 and isinstance(res.exception, InputError)
    assert "$.document.tracking.version: version 7 is not the latest revision" in res.output
