"""Golden files: the SBOM and the native document of a small real-shaped tree, byte for byte
(after masking what changes on every run), each validated against its schema first.

Regenerate with ``ASSAY_UPDATE_GOLDEN=1 pytest tests/integration/test_golden.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from assay.cli import main

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "golden"
STATUS = """\
Package: busybox
Status: install ok installed
Architecture: armhf
Version: 1:1.22.0-19+b3
Source: busybox

Package: dnsmasq-base
Status: install ok installed
Architecture: armhf
Version: 2.72-3+deb8u1
Source: dnsmasq

Package: zlib1g
Status: install ok installed
Architecture: armhf
Version: 1:1.2.8.dfsg-2+b1
Source: zlib
"""
VOLATILE = {"serialNumber", "timestamp", "created", "sha256", "version", "location"}


def _tree(root: Path) -> Path:
    for rel, text in {
        "etc/os-release": 'ID=debian\nVERSION_ID="8"\nNAME="Debian GNU/Linux"\n',
        "var/lib/dpkg/status": STATUS,
        "var/lib/dpkg/info/busybox.list": "/bin/busybox\n",
        "bin/.keep": "",
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _mask(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _mask(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    if key in VOLATILE and isinstance(value, str) and key != "version":
        return "<masked>"
    if key == "version" and isinstance(value, str) and value.startswith("0."):
        return "<masked>"  # our own version, in tool metadata
    return value


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("golden")
    out = tmp / "out"
    assert main(["scan", str(_tree(tmp / "rootfs")), "--out", str(out), "-q", "--no-checks"]) == 0
    return out


@pytest.mark.parametrize("name", ["sbom.cdx.json", "assessment.json"])
def test_golden(outputs: Path, name: str) -> None:
    text = (outputs / name).read_text()
    if name == "sbom.cdx.json":
        assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    document = _mask(json.loads(text))
    if name == "assessment.json":
        document.pop("facts")
    golden = GOLDEN / f"debian-tree.{name}"
    rendered = json.dumps(document, indent=2, sort_keys=True) + "\n"
    if os.environ.get("ASSAY_UPDATE_GOLDEN"):
        golden.write_text(rendered)
    assert golden.exists(), "run with ASSAY_UPDATE_GOLDEN=1 once to create it"
    assert rendered == golden.read_text()


# what changes on every run in the VEX documents: their dates and serial number (document
# ids that are URNs are masked too; product ids, which are PURLs, are compared)
VEX_VOLATILE = {"initial_release_date", "current_release_date", "date", "timestamp", "serialNumber"}


def _mask_vex(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _mask_vex(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_vex(v) for v in value]
    urn = key == "@id" and isinstance(value, str) and value.startswith("urn:uuid:")
    if isinstance(value, str) and (key in VEX_VOLATILE or value.startswith("0.") or urn):
        return "<masked>"
    return value


@pytest.mark.parametrize(
    ("fmt", "name"),
    [
        ("csaf-vex", "csaf-vex.json"),
        ("csaf-advisory", "csaf-advisory.json"),
        ("openvex", "openvex.json"),
        ("cyclonedx", "vex.cdx.json"),
    ],
)
def test_golden_vex(outputs: Path, tmp_path: Path, fmt: str, name: str) -> None:
    from assay.present.vex import csaf_problems
    from assay.present.vex.cyclonedx import cyclonedx_errors
    from assay.present.vex.schemas import csaf_validator, openvex_errors, schema_errors

    path = tmp_path / name
    args = ["vex", "export", str(outputs / "assessment.json"), "--format", fmt]
    assert main([*args, "--out", str(path)]) == 0
    document = json.loads(path.read_text())
    if fmt.startswith("csaf"):
        assert schema_errors(csaf_validator(), document) == [] and csaf_problems(document) == []
    elif fmt == "openvex":
        assert openvex_errors(document) == []
    else:
        assert cyclonedx_errors(document, str(document["specVersion"])) == []
    assert document != {} and json.dumps(document).count("CVE-") > 0
    golden = GOLDEN / f"debian-tree.{name}"
    rendered = json.dumps(_mask_vex(document), indent=2, sort_keys=True) + "\n"
    if os.environ.get("ASSAY_UPDATE_GOLDEN"):
        golden.write_text(rendered)
    assert golden.exists(), "run with ASSAY_UPDATE_GOLDEN=1 once to create it"
    assert rendered == golden.read_text()
