"""The label's words: catalogues in six languages, positive phrasing, the declared personal
data, who issued it, and every line inside the frame in every language."""

from __future__ import annotations

import json
import re
import string
import xml.etree.ElementTree as ET
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from PIL import Image

from assay.errors import UsageError
from assay.present.label import LANGUAGES, build_label, fit, language, render_png, render_svg, words
from assay.present.label.words import FOLDER

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "data" / "declarations" / "openwrt-wr703n.sample.yaml"
URL = "https://registry.example/products/sample-router-works-ltd-fictitious-tl-wr703n-v1"
TODAY = date(2026, 12, 7)
SVG = "{http://www.w3.org/2000/svg}"


def sample(**changes: Any) -> dict[str, Any]:
    """An assessment of the demo router with the project's sample declaration; root has no
    password (the check's FAIL, as on the real image)."""
    declaration = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    declaration["manufacturer"].update(changes)
    return {
        "schema_version": "1.0.0",
        "created": "2026-11-20T10:00:00+00:00",
        "target": {"name": "fw.bin", "kind": "image"},
        "identity": {"os_name": "OpenWrt", "os_version": "12.09"},
        "vulnerabilities": [],
        "verdicts": [],
        "findings": [
            {"check": "credentials.empty-password", "verdict": "FAIL", "summary": "root: empty"}
        ],
        "declaration": declaration,
    }


def texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


def placeholders(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def test_every_catalogue_has_the_reference_keys_and_placeholders() -> None:
    assert sorted(p.stem for p in FOLDER.glob("*.yaml")) == sorted(LANGUAGES)
    reference = yaml.safe_load((FOLDER / "en.yaml").read_text(encoding="utf-8"))
    for lang in LANGUAGES:
        data = yaml.safe_load((FOLDER / f"{lang}.yaml").read_text(encoding="utf-8"))
        assert set(data) == set(reference), lang
        assert len(data["months"]) == 12
        for key, text in data.items():
            if key == "months":
                continue
            assert isinstance(text, str) and text.strip(), (lang, key)
            assert placeholders(text) == placeholders(reference[key]), (lang, key)


def test_language_tags_and_unknown_languages() -> None:
    assert language(None) == "en" and language("DE-at") == "de" and language("fr_CH") == "fr"
    with pytest.raises(UsageError, match="no label words in language 'xx'") as caught:
        language("xx")
    assert caught.value.hint == "use one of en, de, fr, es, it, nl"
    assert words("it").date(date(2016, 4, 30)) == "30 apr 2016"
    assert words("de").date(date(2016, 3, 1)) == "1. März 2016"


def test_english_words_are_positive_and_name_the_personal_data() -> None:
    label = build_label(sample(), URL, TODAY)
    svg = render_svg(label)
    shown = texts(svg)
    text = label.text()
    # no double negative: the fact is named positively, and "No" never answers "No ..."
    assert "No default passwords" not in svg
    assert "Default passwords" in shown and "FOUND" in shown
    assert "Has a default or empty password." in text
    # level 0 in words, beside the stars (never four empty stars alone)
    assert "Level 0 of 4" in shown and "Basic security requirements not met" in shown
    assert "Security level 0 of 4" in text
    # the declaration's personal data categories, not "None declared"
    assert "Personal data it handles: MAC addresses and host names of connected clients, " in text
    assert "DHCP leases, system log" in " ".join(shown)
    assert "Sensitive data (such as health or biometrics): none declared." in text
    # who issued it and from what; not an official mark
    assert "Issued by Assay from the manufacturer's declaration" in text
    assert "Not an official certification mark." in text
    assert not re.search(r"\bvulns?\b", svg + text, re.I)


@pytest.mark.parametrize(
    ("lang", "level", "passwords", "personal", "issuer"),
    [
        (
            "de",
            "Stufe 0 von 4",
            "Hat ein Standardpasswort oder ein leeres Passwort.",
            "Verarbeitete personenbezogene Daten: MAC addresses",
            "Ausgestellt von Assay auf Grundlage der Erklärung des Herstellers",
        ),
        (
            "fr",
            "Niveau 0 sur 4",
            "A un mot de passe par défaut ou vide.",
            "Données personnelles traitées : MAC addresses",
            "Délivrée par Assay à partir de la déclaration du fabricant",
        ),
    ],
)
def test_translated_label(
    lang: str, level: str, passwords: str, personal: str, issuer: str
) -> None:
    label = build_label(sample(), URL, TODAY)
    svg = render_svg(label, lang)
    root = ET.fromstring(svg)
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == lang
    shown = texts(svg)
    assert level in shown
    text = label.text(lang)
    for sentence in (passwords, personal, issuer):
        assert sentence in text
    assert "Security" not in text and "Default passwords" not in " ".join(shown)
    desc = root.find(f"{SVG}desc")
    assert desc is not None and desc.text == text
    # label.json: the same keys in every language, only the text differs
    english, translated = label.to_dict(), label.to_dict(lang)
    assert translated.keys() == english.keys()
    assert {k: v for k, v in translated.items() if k != "text"} == {
        k: v for k, v in english.items() if k != "text"
    }
    png = Image.open(BytesIO(render_png(svg)))
    assert png.width == 1000 and png.height > 2000


def test_long_manufacturer_name_is_wrapped_whole() -> None:
    name = "Shenzhen Extraordinarily Long Consumer Electronics Manufacturing Company Limited"
    shown = texts(render_svg(build_label(sample(name=name), URL, TODAY)))
    start = shown.index("Shenzhen Extraordinarily Long")
    joined = " ".join(shown[start : start + 3])
    assert joined == name and "\u2026" not in joined


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_line_stays_inside_the_frame(lang: str) -> None:
    """Measured with the font's own metrics: no text runs past the inner edge, in any language,
    for every support state and with the longest values the label shows."""
    name = "Shenzhen Extraordinarily Long Consumer Electronics Manufacturing Company Limited"
    for today in (date(2010, 1, 1), TODAY):
        doc = sample(name=name)
        doc["declaration"]["sensors"] = ["camera", "microphone", "location (GPS)"]
        for support in ({"end_date": "2016-04-30"}, {}):
            doc["declaration"]["support"] = support
            svg = render_svg(build_label(doc, URL, today), lang)
            for element in ET.fromstring(svg).iter(f"{SVG}text"):
                text = element.text or ""
                size = int(float(element.get("font-size", "0")))
                assert size >= 17, (lang, text)
                wide = fit.width(text, size, element.get("font-weight") == "700")
                x = float(element.get("x", "0"))
                left = {"end": x - wide, "middle": x - wide / 2}.get(
                    element.get("text-anchor", ""), x
                )
                assert left >= 18 and left + wide <= 482, (lang, text, left, wide)


def test_cli_label_in_german(tmp_path: Path) -> None:
    from assay.cli.label import command

    source = tmp_path / "assessment.json"
    source.write_text(json.dumps(sample(), default=str), encoding="utf-8")
    out = tmp_path / "o"
    args = [str(source), "--out", str(out), "--registry-url", URL, "--lang", "de", "--text"]
    result = CliRunner().invoke(command, args)
    assert result.exit_code == 0, result.output
    assert "Sicherheitsstufe 0 von 4: " in result.output
    data = json.loads((out / "label.json").read_text(encoding="utf-8"))
    assert data["text"].startswith("Sicherheitslabel für ")
    assert "Stufe 0 von 4" in texts((out / "label.svg").read_text(encoding="utf-8"))
    bad = CliRunner().invoke(command, [str(source), "--out", str(out), "--lang", "xx"])
    assert bad.exit_code != 0 and "xx" in bad.output


def test_scan_writes_the_label_in_the_asked_language(tmp_path: Path) -> None:
    from assay.cli import main

    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "os-release").write_text('ID=debian\nVERSION_ID="12"\nNAME="Debian"\n')
    out = tmp_path / "out"
    args = ["scan", str(root), "--out", str(out), "-q", "--no-checks", "--no-vulns"]
    assert main([*args, "--lang", "es"]) == 0
    data = json.loads((out / "label.json").read_text(encoding="utf-8"))
    assert data["text"].startswith("Etiqueta de seguridad de ")
    assert "Emitida por Assay a partir de su propio análisis del firmware" in data["text"]
    assert "Nivel 0 de 4" in texts((out / "label.svg").read_text(encoding="utf-8"))
    assert (out / "label.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
