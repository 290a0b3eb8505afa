"""Malformed VEX/CSAF is rejected with one line naming the JSON path of the offending field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assay.errors import InputError
from assay.present.vex import load_vex

SAMPLE = "csaf/cisa-csaf/sample/icsa-24-291-01.json"


def _write(tmp_path: Path, doc: object, name: str = "doc.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_csaf_schema_violation_names_the_path(shared_data: Path, tmp_path: Path) -> None:
    doc = json.loads((shared_data / SAMPLE).read_text())
    doc["vulnerabilities"][0]["product_status"]["known_affected"] = "CSAFPID-0001"
    with pytest.raises(InputError) as err:
        load_vex(_write(tmp_path, doc))
    assert "$.vulnerabilities[0].product_status.known_affected" in err.value.message
    assert "\n" not in err.value.message and err.value.message.startswith("doc.json: ")


def test_csaf_undefined_product_fails_test_6_1_1(shared_data: Path, tmp_path: Path) -> None:
    doc = json.loads((shared_data / SAMPLE).read_text())
    doc["vulnerabilities"][0]["product_status"]["known_affected"].append("CSAFPID-NOPE")
    with pytest.raises(InputError, match=r"known_affected\[\d+\]: product id 'CSAFPID-NOPE'"):
        load_vex(_write(tmp_path, doc))


def test_csaf_wrong_cvss_score_fails(shared_data: Path, tmp_path: Path) -> None:
    doc = json.loads((shared_data / SAMPLE).read_text())
    doc["vulnerabilities"][0]["scores"][0]["cvss_v3"]["baseScore"] = 1.0
    with pytest.raises(InputError, match=r"scores\[0\]\.cvss_v3\.baseScore.*6\.1\.9"):
        load_vex(_write(tmp_path, doc))


def test_openvex_bad_status(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "vex/openvex-vexctl/examples/openvex/demo.vex.json"
    doc = json.loads(src.read_text())
    doc["statements"][0]["status"] = "maybe"
    with pytest.raises(InputError, match=r"\$\.statements\[0\]\.status"):
        load_vex(_write(tmp_path, doc))


def test_openvex_legacy_bad_status(shared_data: Path, tmp_path: Path) -> None:
    doc = json.loads(
        (shared_data / "vex/openvex-vexctl/pkg/ctl/testdata/v001-1.vex.json").read_text()
    )
    doc["statements"][0]["status"] = "maybe"
    with pytest.raises(InputError, match=r"\$\.statements\[0\]\.status: 'maybe'"):
        load_vex(_write(tmp_path, doc))


def test_cyclonedx_bad_state(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "sbom/cyclonedx-bom-examples/VEX/vex.json"
    doc = json.loads(src.read_text())
    doc["vulnerabilities"][0]["analysis"]["state"] = "fine"
    with pytest.raises(InputError, match=r"\$\.vulnerabilities\[0\]\.analysis\.state"):
        load_vex(_write(tmp_path, doc))


def test_not_json_and_unknown_format(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    with pytest.raises(InputError, match="not JSON"):
        load_vex(bad)
    with pytest.raises(InputError, match="not a VEX document"):
        load_vex(_write(tmp_path, {"hello": "world"}))
    with pytest.raises(InputError, match="cannot read"):
        load_vex(tmp_path / "missing.json")


def test_openvex_duplicate_statement(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "vex/openvex-vexctl/examples/openvex/demo.vex.json"
    doc = json.loads(src.read_text())
    doc["statements"].append(doc["statements"][0])
    last = len(doc["statements"]) - 1
    with pytest.raises(InputError, match=rf"\$\.statements\[{last}\]: repeats \$\.statements\[0\]"):
        load_vex(_write(tmp_path, doc))
