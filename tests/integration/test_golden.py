"""Golden files: the SBOM and the native document of a small real-shaped tree, byte for byte
(after masking what changes on every run), each validated against its schema first.

Regenerate with ``ASSAY_UPDATE_GOLDEN=1 pytest tests/integration/test_golden.py``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

import spdx3_bindings
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


# every -o format of one scan of the tree with a failed check (an empty root password)
SARIF_SCHEMA = (
    Path(__file__).resolve().parent.parent / "data" / "schemas" / "sarif-2.1.0-rtm.5.json"
)
FORMAT_FILES = {
    "json": "assessment.json",
    "cyclonedx-json": "sbom.cdx.json",
    "cyclonedx-json@1.5": "sbom-1.5.cdx.json",
    "cyclonedx-json@1.4": "sbom-1.4.cdx.json",
    "cyclonedx-xml": "sbom.cdx.xml",
    "cyclonedx-xml@1.5": "sbom-1.5.cdx.xml",
    "cyclonedx-xml@1.4": "sbom-1.4.cdx.xml",
    "spdx-json": "sbom.spdx.json",
    "spdx-tag-value": "sbom.spdx",
    "spdx3-json": "sbom.spdx3.jsonld",
    "sarif": "assay.sarif",
    "html": "report.html",
    "md": "report.md",
    "label": "label.svg",
    "table": "table.txt",
}


@pytest.fixture(scope="module")
def formats(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("formats")
    tree = _tree(tmp / "rootfs")
    (tree / "etc/shadow").write_text("root::16000:0:99999:7:::\n")
    (tree / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    out = tmp / "out"
    args = [f"-o{fmt}={out / name}" for fmt, name in FORMAT_FILES.items()]
    assert main(["scan", str(tree), *args, "-q"]) == 0
    return out


def _mask_text(text: str) -> str:
    """Mask what changes on every run in the text formats (dates, ids, our version)."""
    for pattern, repl in (
        (r"(serialNumber=|<timestamp>)[^ <]*", r"\1<masked>"),
        (r"(<name>assay</name>\s*<version>)[^<]*", r"\1<masked>"),
        (r"(DocumentNamespace: ).*", r"\1<masked>"),
        (r"(Created: ).*", r"\1<masked>"),
        (r"(Creator: Tool: assay-).*", r"\1<masked>"),
    ):
        text = re.sub(pattern, repl, text)
    return text


UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
SPDX_VOLATILE = {"documentNamespace", "created", "creators"}


def _mask_formats(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _mask_formats(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_formats(v, key) for v in value]
    if key in SPDX_VOLATILE or key == "semanticVersion":
        return "<masked>"
    return _mask(value, key)


@pytest.mark.parametrize(
    "fmt",
    [
        "sarif",
        "spdx-json",
        "spdx-tag-value",
        "spdx3-json",
        "cyclonedx-json@1.5",
        "cyclonedx-json@1.4",
        "cyclonedx-xml",
        "cyclonedx-xml@1.4",
        "table",
    ],
)
def test_golden_formats(formats: Path, fmt: str) -> None:
    name = FORMAT_FILES[fmt]
    text = (formats / name).read_text()
    if fmt == "spdx3-json":  # element ids hold the document's UUID; the graph has no order
        text = re.sub(
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", text
        )
        text = re.sub(r'"assay [0-9][^"]*"', '"assay <masked>"', text)
    if name.endswith(("json", "sarif", "jsonld")):
        document = _mask_formats(json.loads(text))
        if fmt == "spdx-json":
            document["relationships"].sort(key=json.dumps)
        if fmt == "spdx3-json":
            document["@graph"].sort(key=lambda node: node.get("spdxId", node.get("@id")))
        rendered = json.dumps(document, indent=2, sort_keys=True) + "\n"
    else:
        rendered = _mask_text(text)
    golden = GOLDEN / f"formats-tree.{name}"
    if os.environ.get("ASSAY_UPDATE_GOLDEN"):
        golden.write_text(rendered)
    assert golden.exists(), "run with ASSAY_UPDATE_GOLDEN=1 once to create it"
    assert rendered == golden.read_text()


def test_sarif_passes_the_sarif_schema_with_locations_in_the_image(formats: Path) -> None:
    document = json.loads((formats / "assay.sarif").read_text())
    schema = json.loads(SARIF_SCHEMA.read_text())
    validator = jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )
    assert [e.message for e in validator.iter_errors(document)] == []
    results = document["runs"][0]["results"]
    password = next(r for r in results if r["ruleId"] == "credentials.empty-password")
    location = password["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "etc/shadow", "uriBaseId": "IMAGEROOT"}
    assert password["level"] == "error"
    assert any(r["ruleId"].startswith("CVE-") for r in results)


@pytest.mark.parametrize("version", ["1.6", "1.5", "1.4"])
def test_cyclonedx_versions_pass_their_schemas(formats: Path, version: str) -> None:
    from cyclonedx.validation.xml import XmlValidator

    schema = {"1.6": SchemaVersion.V1_6, "1.5": SchemaVersion.V1_5, "1.4": SchemaVersion.V1_4}
    suffix = "" if version == "1.6" else f"-{version}"
    text = (formats / f"sbom{suffix}.cdx.json").read_text()
    assert JsonStrictValidator(schema[version]).validate_str(text) is None
    assert json.loads(text)["specVersion"] == version
    xml = (formats / f"sbom{suffix}.cdx.xml").read_text()
    assert XmlValidator(schema[version]).validate_str(xml) is None
    assert f"http://cyclonedx.org/schema/bom/{version}" in xml


@pytest.mark.parametrize("name", ["sbom.spdx.json", "sbom.spdx"])
def test_spdx_passes_the_spdx_tools_validator(formats: Path, name: str) -> None:
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    document = parse_file(str(formats / name))
    assert validate_full_spdx_document(document) == []
    assert document.creation_info.spdx_version == "SPDX-2.3"
    names = {p.name: p for p in document.packages}
    assert {"busybox", "dnsmasq-base", "zlib1g"} <= set(names)
    refs = {r.reference_type: r.locator for r in names["busybox"].external_references}
    assert refs["purl"].startswith("pkg:deb/debian/busybox@")


def test_reports_and_label_as_formats(formats: Path) -> None:
    import xml.etree.ElementTree as ET

    assert (formats / "report.html").read_text().startswith("<!doctype html>")
    assert (formats / "report.md").read_text().startswith("# Security report")
    ET.fromstring((formats / "label.svg").read_text())
    assert (formats / "label.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((formats / "label.json").read_text())["level"] is not None


def test_spdx3_loads_with_the_spdx3_bindings(formats: Path) -> None:
    """SPDX 3.0.1 JSON-LD, read back by the SPDX project's bindings (which check types and
    required properties on reading)."""
    from spdx_python_model import v3_0_1 as spdx

    objects = spdx3_bindings.check((formats / "sbom.spdx3.jsonld").read_text())
    packages = {p.name: p for p in objects.foreach_type(spdx.software_Package)}
    assert {"busybox", "dnsmasq-base", "zlib1g"} <= set(packages)
    assert packages["busybox"].software_packageUrl.startswith("pkg:deb/debian/busybox@")
    firmware = next(p for p in packages.values() if p.software_primaryPurpose.endswith("firmware"))
    (document,) = objects.foreach_type(spdx.SpdxDocument)
    assert [e._id for e in document.rootElement] == [firmware._id]
    vulnerabilities = {v.name for v in objects.foreach_type(spdx.security_Vulnerability)}
    assert "CVE-2016-6301" in vulnerabilities
    kinds = {
        str(r.relationshipType).rsplit("/", 1)[-1] for r in objects.foreach_type(spdx.Relationship)
    }
    assert kinds == {"contains", "hasAssociatedVulnerability"}
