"""A real scan of a hostile root filesystem through every renderer: each output stays valid
(XML parser for the SVG, the PNG decodes, CycloneDX schema, JSON) and holds no raw control
character; the terminal gets no escape sequence; server paths and tracebacks stay out."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from PIL import Image

import spdx3_bindings
from assay.model.assessment import Assessment, Target
from assay.model.check import Evidence, Finding, Verdict
from assay.model.problem import Problem
from assay.present import native
from assay.present.label import build_label, render_png, render_svg
from assay.present.report import render_html, render_markdown

from .hostile import EVIL, RAW, hostile_tree

SVG = "{http://www.w3.org/2000/svg}"


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _raw(text: str) -> list[str]:
    """The forbidden characters in ``text`` (surrogates included)."""
    return sorted({c for c in text if c in RAW or 0xD800 <= ord(c) <= 0xDFFF})


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    tmp = tmp_path_factory.mktemp("hostile")
    tree = hostile_tree(tmp / "rootfs")
    out = tmp / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "assay", "scan", str(tree), "--out", str(out)],
        capture_output=True,
        text=True,
        errors="surrogateescape",
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return out, proc


def test_the_image_really_is_hostile(scan: tuple[Path, Any]) -> None:
    out, _ = scan
    doc = json.loads((out / "assessment.json").read_text())
    # the release number is read as a number (12.09); the name carries the attack
    assert doc["identity"]["os_version"] == "12.09"
    assert doc["identity"]["os_name"].startswith("OpenWrt\\x01\\x1b[31mRED")
    world_writable = next(f for f in doc["findings"] if f["check"] == "files.world-writable")
    assert world_writable["verdict"] == "FAIL"
    assert any("\\xff\\x1b[2Jodd\\x07" in e["path"] for e in world_writable["evidence"])


def test_terminal_gets_no_escape_sequence(scan: tuple[Path, Any]) -> None:
    _, proc = scan
    assert _raw(proc.stdout + proc.stderr) == []
    assert "OpenWrt\\x01\\x1b[31mRED" in proc.stderr  # shown, escaped


def test_label_svg_is_valid_xml_and_png_renders(scan: tuple[Path, Any]) -> None:
    out, _ = scan
    svg = (out / "label.svg").read_text(encoding="utf-8")
    assert _raw(svg) == []
    root = ET.fromstring(svg)
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "OpenWrt\\x01\\x1b[31mRED" in texts
    image = Image.open(BytesIO((out / "label.png").read_bytes()))
    image.load()
    assert image.size[0] == 1000


def test_reports_hold_no_raw_control_character(scan: tuple[Path, Any]) -> None:
    out, _ = scan
    html = (out / "report.html").read_text(encoding="utf-8")
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert _raw(html) == [] and _raw(markdown) == []
    HTMLParser().feed(html)
    assert "<b>&amp;amp;" not in html and "&lt;b&gt;&amp;amp;" in html
    assert "\\x1b[31mRED" in html and "\\x1b\\[31mRED" in markdown  # escaped, still visible
    assert "/etc/\\xff\\x1b[2Jodd\\x07" in html


@pytest.mark.parametrize("name", ["assessment.json", "sbom.cdx.json", "label.json"])
def test_json_outputs_are_valid_and_clean(scan: tuple[Path, Any], name: str) -> None:
    out, _ = scan
    text = (out / name).read_text(encoding="utf-8")
    if name == "sbom.cdx.json":
        assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    strings = _strings(json.loads(text))
    assert strings and _raw("".join(strings)) == []


def test_label_from_a_stored_document_renders_whatever_it_says() -> None:
    """What the registry does with an uploaded assessment.json: no cleaning beforehand."""
    document: dict[str, Any] = {
        "schema_version": "1.0.0",
        "created": "2026-11-20T10:00:00+00:00",
        "target": {"name": "fw.bin"},
        "identity": {"os_name": f"OpenWrt{EVIL}", "os_version": f"12.09{EVIL}\udcff"},
        "vulnerabilities": [],
        "findings": [],
        "verdicts": [],
        "declaration": {
            "manufacturer": {"name": f"Acme{EVIL}"},
            "product": {"name": f"Plug{EVIL}", "model": f"AC-1{EVIL}", "hardware_version": "v1"},
        },
    }
    svg = render_svg(build_label(document, "https://registry.example/p/x", date(2026, 12, 1)))
    assert _raw(svg) == []
    ET.fromstring(svg)
    Image.open(BytesIO(render_png(svg))).load()


def test_problems_and_evidence_show_image_paths_without_tracebacks() -> None:
    root = "/fw.bin_extract/xz.uncompressed_extract/957612-2825137.squashfs_v4_le_extract"
    server = "/tmp/assay-k3j2h1g0/extract"
    assessment = Assessment(
        Target("fw.bin", "image"),
        "test",
        "2026-12-01T00:00:00Z",
        problems=[
            Problem(
                "extract",
                server + "/fw.bin_extract/7-9.gzip",
                'Traceback (most recent call last):\n  File "/usr/lib/python3/unblob/h.py", '
                f"line 9\nOSError: [Errno 5] cannot read {server}{root}/lib/x.so",
                "chunk skipped",
            )
        ],
        findings=[
            Finding(
                "files.setuid",
                Verdict.FAIL,
                "medium",
                title="Setuid",
                evidence=(Evidence(server + root + "/bin/su"),),
            )
        ],
        facts={"rootfs": [root]},
    )
    outputs = {
        "html": render_html(assessment),
        "md": render_markdown(assessment),
        "json": native.text(assessment),
    }
    for kind, text in outputs.items():
        assert "/tmp/assay-" not in text and "Traceback" not in text, kind
        assert "/usr/lib/python3" not in text, kind
    shown = native.document(assessment)
    assert shown["problems"][0]["path"] == "/fw.bin_extract/7-9.gzip"
    assert shown["problems"][0]["message"] == "OSError: [Errno 5] cannot read /lib/x.so"
    assert shown["findings"][0]["evidence"][0]["path"] == "/bin/su"
    assert "cannot read /lib/x.so" in outputs["md"] and "/bin/su" in outputs["html"]


def test_every_output_format_stays_valid(tmp_path: Path) -> None:
    """The same hostile tree through each -o format, each checked by its own validator."""
    import jsonschema
    from cyclonedx.validation.xml import XmlValidator
    from spdx_python_model import v3_0_1 as spdx3
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    from assay.cli import main

    tree = hostile_tree(tmp_path / "rootfs")
    out = tmp_path / "o"
    names = {
        "cyclonedx-xml": "sbom.cdx.xml",
        "cyclonedx-json@1.4": "sbom14.cdx.json",
        "spdx-json": "sbom.spdx.json",
        "spdx-tag-value": "sbom.spdx",
        "spdx3-json": "sbom.spdx3.jsonld",
        "sarif": "assay.sarif",
        "table": "table.txt",
    }
    assert main(["scan", str(tree), "-q", *(f"-o{f}={out / n}" for f, n in names.items())]) == 0
    for name in names.values():
        assert _raw((out / name).read_text(encoding="utf-8")) == [], name
    xml = (out / "sbom.cdx.xml").read_text()
    assert XmlValidator(SchemaVersion.V1_6).validate_str(xml) is None
    cdx14 = (out / "sbom14.cdx.json").read_text()
    assert JsonStrictValidator(SchemaVersion.V1_4).validate_str(cdx14) is None
    for name in ("sbom.spdx.json", "sbom.spdx"):
        assert validate_full_spdx_document(parse_file(str(out / name))) == [], name
    objects = spdx3_bindings.check((out / "sbom.spdx3.jsonld").read_text(encoding="utf-8"))
    assert any("busybox" in p.name for p in objects.foreach_type(spdx3.software_Package))
    schema = Path(__file__).resolve().parents[2] / "data/schemas/sarif-2.1.0-rtm.5.json"
    validator = jsonschema.Draft4Validator(json.loads(schema.read_text()))
    assert list(validator.iter_errors(json.loads((out / "assay.sarif").read_text()))) == []
    assert "/etc/\\xff\\x1b[2Jodd\\x07" in (out / "table.txt").read_text()


@pytest.mark.parametrize("fmt", ["csaf-vex", "csaf-advisory", "openvex", "cyclonedx"])
def test_vex_exports_of_a_hostile_scan_are_valid(
    scan: tuple[Path, Any], tmp_path: Path, fmt: str
) -> None:
    """The image's version holds '<' (a range to CSAF) and its PURL needs encoding: each VEX
    document still passes its own validator (the export validates before writing)."""
    from assay.cli import main

    out, _ = scan
    path = tmp_path / "vex.json"
    assert (
        main(["vex", "export", str(out / "assessment.json"), "--format", fmt, "--out", str(path)])
        == 0
    )
    text = path.read_text(encoding="utf-8")
    assert _raw("".join(_strings(json.loads(text)))) == []
