"""Label rules, rendering and files, on small crafted assessment documents."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from click.testing import CliRunner
from PIL import Image

from assay.errors import InputError
from assay.present.label import (
    LANGUAGES,
    build_label,
    load_assessment,
    render_png,
    render_svg,
    write_label,
)
from assay.present.label.build import mandatory_en303645
from assay.present.label.rules import RULES

URL = "https://registry.example/products/acme-ac-1-v1"
TODAY = date(2026, 11, 27)


def verdict(norm: str, requirement: str, result: str, title: str = "") -> dict[str, Any]:
    return {
        "norm": norm,
        "requirement": requirement,
        "verdict": result,
        "title": title,
        "reason": f"{requirement} is {result}",
    }


def document(**extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schema_version": "1.0.0",
        "created": "2026-11-20T10:00:00+00:00",
        "target": {"name": "fw.bin"},
        "identity": {"os_name": "OpenWrt", "os_version": "12.09"},
        "vulnerabilities": [],
        "findings": [],
        "verdicts": [],
        "declaration": {
            "manufacturer": {"name": "Acme"},
            "product": {"name": "Acme Plug", "model": "AC-1", "hardware_version": "v1"},
            "support": {"end_date": "2030-06-30"},
            "vulnerability_disclosure": {"contact": ["mailto:security@acme.example"]},
            "personal_data": {"special_categories": ["health data"]},
        },
    }
    doc.update(extra)
    return doc


def baseline() -> list[dict[str, Any]]:
    return [
        verdict("en303645", "5.1-1", "PASS"),
        verdict("psti", "1", "PASS", "No universal default passwords"),
    ]


def all_mandatory() -> list[dict[str, Any]]:
    return [verdict("en303645", req, "PASS") for req in mandatory_en303645()]


def test_no_evidence_is_never_a_yes() -> None:
    label = build_label(document(verdicts=[], declaration=None), URL, TODAY)
    assert label.no_default_passwords.value is None
    assert label.automatic_updates.value is None
    assert label.vulnerability_reporting.value is None
    assert label.level.value == 0
    assert label.status == "UNDECLARED"
    assert "not declared" in label.text()
    assert [value for _heading, value in label.data_lines()] == [
        "Not declared by the manufacturer"
    ] * 2


def test_level_1_needs_passwords_reporting_and_support_period() -> None:
    label = build_label(document(verdicts=baseline()), URL, TODAY)
    assert label.no_default_passwords.value is True
    assert label.vulnerability_reporting.value is True
    assert label.vulnerability_reporting.evidence == ("declaration.contact",)
    assert label.level.value == 1
    assert any("level 2: EN 303 645 5.1-2 is not assessed" in m for m in label.level.missing)
    no_date = document(verdicts=baseline())
    del no_date["declaration"]["support"]
    assert build_label(no_date, URL, TODAY).level.value == 0


def test_one_failure_anywhere_makes_a_no() -> None:
    failing = [*baseline(), verdict("psti", "1", "FAIL", "No universal default passwords")]
    label = build_label(document(verdicts=failing), URL, TODAY)
    assert label.no_default_passwords.value is False
    assert "psti 1: FAIL" in label.no_default_passwords.evidence
    finding = {
        "check": "credentials.empty-password",
        "verdict": "FAIL",
        "summary": "root has no password",
    }
    label = build_label(document(verdicts=baseline(), findings=[finding]), URL, TODAY)
    assert label.no_default_passwords.value is False
    assert label.no_default_passwords.reason == "failed: root has no password"
    assert label.level.value == 0


def test_level_2_needs_every_mandatory_provision_and_no_kev() -> None:
    label = build_label(document(verdicts=all_mandatory()), URL, TODAY)
    assert label.level.value == 2
    assert label.level.missing == (
        "level 3: a third-party binary analysis (lab and report reference) on record",
    )
    not_applicable = [*all_mandatory()[1:], verdict("en303645", "4-1", "NOT_APPLICABLE")]
    assert build_label(document(verdicts=not_applicable), URL, TODAY).level.value == 2
    kev = [
        {"id": "CVE-2021-44228", "kev": True},
        {"id": "CVE-2021-44228", "kev": True},
        {"id": "CVE-2014-0160", "kev": False},
    ]
    label = build_label(document(verdicts=all_mandatory(), vulnerabilities=kev), URL, TODAY)
    assert label.kev_unfixed == 1 and label.kev_ids == ("CVE-2021-44228",)
    assert label.level.value == 1
    assert "level 2: 1 known exploited vulnerabilities unfixed" in label.level.missing
    pending = [*all_mandatory()[:-1], verdict("en303645", mandatory_en303645()[-1], "NEEDS_LAB")]
    assert build_label(document(verdicts=pending), URL, TODAY).level.value == 1


def test_levels_3_and_4_need_third_party_evidence() -> None:
    binary = {"kind": "binary-analysis", "lab": "Example Lab", "report": "EL-2026-17"}
    pentest = {"kind": "penetration-test", "lab": "Example Lab", "report": "EL-2026-18"}
    facts = {"third_party_evidence": [binary]}
    assert build_label(document(verdicts=all_mandatory(), facts=facts), URL, TODAY).level.value == 3
    facts = {"third_party_evidence": [binary, pentest]}
    label = build_label(document(verdicts=all_mandatory(), facts=facts), URL, TODAY)
    assert label.level.value == 4 and label.level.missing == ()
    unnamed = {"third_party_evidence": [{"kind": "binary-analysis"}]}
    assert (
        build_label(document(verdicts=all_mandatory(), facts=unnamed), URL, TODAY).level.value == 2
    )


def test_support_date_month_only_and_expiry() -> None:
    doc = document()
    doc["declaration"]["support"]["end_date"] = "2024-02"
    label = build_label(doc, URL, TODAY)
    assert label.support_until == date(2024, 2, 29)
    assert label.expired and label.status == "EXPIRED"
    assert label.support_text() == "EXPIRED: security updates ended 29 Feb 2024"
    svg = render_svg(label)
    assert "EXPIRED" in svg and "29 FEB 2024" in svg
    fresh = build_label(document(), URL, date(2030, 6, 30))
    assert fresh.status == "SUPPORTED"  # the last day is still covered
    assert build_label(document(), URL, date(2030, 7, 1)).status == "EXPIRED"


def test_declared_facts() -> None:
    doc = document()
    doc["declaration"]["update_policy"] = {"automatic": False}
    label = build_label(doc, URL, TODAY)
    assert label.automatic_updates.value is False
    assert label.sensitive_data == ("health data",)
    doc["declaration"]["personal_data"]["special_categories"] = []
    assert build_label(doc, URL, TODAY).data_lines()[1] == (
        "Sensitive data (health, biometrics…):",
        "None declared",
    )


def test_mandatory_fallback_list_matches_the_norms_catalogue() -> None:
    assert set(RULES.mandatory_en303645) == set(mandatory_en303645())


def test_svg_is_valid_xml_and_escapes_hostile_strings() -> None:
    doc = document()
    doc["declaration"]["manufacturer"]["name"] = '<script>alert("x")</script> & Co'
    doc["declaration"]["product"]["name"] = "]]><svg onload=alert(1)>"
    svg = render_svg(build_label(doc, URL + "?a=<b>", TODAY))
    root = ET.fromstring(svg)  # well-formed
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "<script" not in svg and "<svg onload" not in svg
    assert "&lt;script&gt;" in svg and "&amp; Co" in svg
    texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert '<script>alert("x")</script> & Co' in texts


def test_svg_is_50_mm_wide_with_text_equivalent() -> None:
    label = build_label(document(verdicts=baseline()), URL, TODAY)
    root = ET.fromstring(render_svg(label))
    assert root.get("width") == "50mm"
    desc = root.find("{http://www.w3.org/2000/svg}desc")
    assert desc is not None and desc.text == label.text()
    sizes = [float(t.get("font-size", "0")) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    # 500 user units = 50 mm: the smallest text is at least 1.7 mm (about 5 pt) high
    assert min(sizes) >= 17


def test_png_qr_code_decodes_to_the_registry_url() -> None:
    png = render_png(render_svg(build_label(document(), URL, TODAY)))
    image = Image.open(BytesIO(png))
    assert image.width == 1000
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results if r.format == zxingcpp.BarcodeFormat.QRCode] == [URL]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_png_holds_the_pixels_cairo_draws(lang: str) -> None:
    """Our drawing of the text (``label.glyphs``) and our PNG writer (unfiltered rows,
    fastest deflate) against CairoSVG's own drawing and cairo's own PNG, pixel for pixel, in
    every language, support state (supported, ended, undeclared) and kind (scanned with its
    stars, self-asserted without; letter-spacing, centred and right-aligned text),
    and the file is a PNG any decoder reads completely (CRCs checked)."""
    import cairosvg

    supported = document(verdicts=baseline())
    expired = document(declaration={"support": {"end_date": "2020-01-31"}})
    undeclared = document(verdicts=all_mandatory(), declaration=None)
    for doc, url, maker in ((supported, URL, None), (expired, "", None), (undeclared, URL, "")):
        svg = render_svg(build_label(doc, url, TODAY, self_asserted_by=maker), lang)
        ours = Image.open(BytesIO(render_png(svg)))
        ours.load()
        reference = cairosvg.svg2png(
            bytestring=svg.encode(), output_width=1000, background_color="white"
        )
        theirs = Image.open(BytesIO(reference)).convert("RGB")
        assert (ours.mode, ours.size) == ("RGB", theirs.size)
        assert ours.tobytes() == theirs.tobytes()


@pytest.mark.parametrize(
    "extra",
    [
        "\x01\x1b[31mred\u202e",  # control characters and a bidi override: shown escaped
        " 日本語 ☃ é ß Ω",
        " שלום عربي",
        " A\u0301 combining",
        " emoji 😀🔒",
    ],
)
def test_png_pixels_are_cairosvgs_for_any_script(extra: str) -> None:
    import cairosvg

    doc = document()
    doc["declaration"]["manufacturer"]["name"] += extra
    doc["declaration"]["product"]["name"] += extra
    doc["identity"]["os_version"] += extra
    svg = render_svg(build_label(doc, URL, TODAY))
    ours = Image.open(BytesIO(render_png(svg)))
    reference = cairosvg.svg2png(
        bytestring=svg.encode(), output_width=1000, background_color="white"
    )
    assert ours.tobytes() == Image.open(BytesIO(reference)).convert("RGB").tobytes()


def test_png_without_isal_is_deflated_by_zlib_to_the_same_pixels(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    svg = render_svg(build_label(document(verdicts=baseline()), URL, TODAY))
    fast = render_png(svg)
    monkeypatch.setitem(sys.modules, "isal", None)  # import isal now fails
    slow = render_png(svg)
    assert slow != fast
    assert Image.open(BytesIO(slow)).tobytes() == Image.open(BytesIO(fast)).tobytes()


def test_plain_text_is_drawn_by_glyphs_the_rest_by_cairosvg() -> None:
    """Every <text> the label writes takes the short way; one it does not write (a position
    list, an opacity) goes to CairoSVG, and the pixels are still CairoSVG's."""
    import cairosvg
    from cairosvg.parser import Tree

    from assay.present.label.glyphs import _plain

    svg = render_svg(build_label(document(verdicts=baseline()), URL, TODAY))
    texts = [n for n in _nodes(Tree(bytestring=svg.encode())) if n.tag == "text"]
    assert len(texts) > 20 and all(_plain(n) for n in texts)
    odd = svg.replace('<text x="24"', '<text x="24 30 36" opacity="0.5"', 1)
    assert not all(_plain(n) for n in _nodes(Tree(bytestring=odd.encode())) if n.tag == "text")
    ours = Image.open(BytesIO(render_png(odd)))
    theirs = Image.open(
        BytesIO(
            cairosvg.svg2png(bytestring=odd.encode(), output_width=1000, background_color="white")
        )
    ).convert("RGB")
    assert ours.tobytes() == theirs.tobytes()


def _nodes(node: Any) -> list[Any]:
    return [node, *(n for child in node.children for n in _nodes(child))]


def test_no_qr_without_registry_url() -> None:
    svg = render_svg(build_label(document(), "", TODAY))
    assert "Scan for details" not in svg
    assert zxingcpp.read_barcodes(Image.open(BytesIO(render_png(svg)))) == []


def test_write_label_writes_three_files(tmp_path: Path) -> None:
    paths = write_label(document(verdicts=baseline()), tmp_path / "out", URL, TODAY)
    assert [p.name for p in paths] == ["label.svg", "label.png", "label.json"]
    data = json.loads(paths[2].read_text())
    assert data["level"]["value"] == 1
    assert data["support_until"] == "2030-06-30"
    assert data["status"] == "SUPPORTED"
    assert data["facts"]["known_exploited_unfixed"] == {"count": 0, "ids": []}
    assert data["text"].startswith("Security label for Acme Plug AC-1")
    assert paths[1].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_load_assessment_rejects_what_is_not_one(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="x.json is not JSON"):
        load_assessment(bad)
    bad.write_text("[" * 100_000)  # nested too deeply: one line, not a RecursionError
    with pytest.raises(InputError, match="nested deeper"):
        load_assessment(bad)
    bad.write_text('{"a": 1}')
    with pytest.raises(InputError, match="not an Assay assessment"):
        load_assessment(bad)
    bad.write_text('{"schema_version": "1.0.0", "target": {}, "verdicts": {}}')
    with pytest.raises(InputError, match="'verdicts' is not a list"):
        load_assessment(bad)
    with pytest.raises(InputError, match="no such file"):
        load_assessment(tmp_path / "missing.json")


def test_cli_label(tmp_path: Path) -> None:
    from assay.cli.label import command

    source = tmp_path / "assessment.json"
    source.write_text(json.dumps(document(verdicts=baseline())))
    result = CliRunner().invoke(
        command, [str(source), "--out", str(tmp_path / "o"), "--registry-url", URL, "--text"]
    )
    assert result.exit_code == 0, result.output
    assert "Security level 1 of 4." in result.output
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == [
        "label.json",
        "label.png",
        "label.svg",
    ]


def test_registry_base_url_becomes_the_product_page(tmp_path: Path) -> None:
    from assay.present.label import product_url

    doc = document()
    assert product_url(doc, "https://registry.example/") == URL
    assert product_url(doc, URL) == URL
    assert product_url(doc, "") == ""
    assert product_url(document(declaration=None), "https://registry.example") == (
        "https://registry.example"
    )
    paths = write_label(doc, tmp_path, "https://registry.example", TODAY)
    codes = zxingcpp.read_barcodes(Image.open(paths[1]))
    assert [c.text for c in codes] == [URL]


def test_a_self_asserted_label_says_so_where_the_level_stands() -> None:
    doc = document(verdicts=baseline())
    assert build_label(doc, URL, TODAY).level.value >= 1
    label = build_label(doc, URL, TODAY, self_asserted_by="Forger Ltd")
    assert label.level.value == 0
    texts = [t.text or "" for t in ET.fromstring(render_svg(label)).iter() if t.text]
    assert "Self-asserted: no level" in texts
    assert not any(t.startswith("Level ") for t in texts)
