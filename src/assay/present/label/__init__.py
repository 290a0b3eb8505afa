"""The security label: first layer (SVG, PNG), its text equivalent and ``label.json``.

``write_label(assessment, out_dir, registry_url)`` is what ``assay scan`` and ``assay label``
call; ``build_label`` gives the label as data; the rules live in ``rules.yaml``.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from assay.errors import InputError
from assay.model.assessment import Assessment
from assay.present.label.build import build_label
from assay.present.label.model import Fact, Label, Level
from assay.present.label.png import render_png
from assay.present.label.svg import render_svg
from assay.present.label.words import LANGUAGES, language, words

__all__ = [
    "LANGUAGES",
    "Fact",
    "Label",
    "Level",
    "build_label",
    "language",
    "load_assessment",
    "product_url",
    "render_png",
    "render_svg",
    "write_label",
    "words",
    "write_label_as",
]


def write_label(
    assessment: Assessment | dict[str, Any],
    out_dir: Path,
    registry_url: str = "",
    today: date | None = None,
    lang: str = "en",
) -> list[Path]:
    """Write ``label.svg``, ``label.png`` and ``label.json`` into ``out_dir``; return the paths.
    ``lang``: the language of the words (``LANGUAGES``); label.json keeps its keys."""
    return write_label_as(assessment, out_dir / "label.svg", registry_url, today, lang)


def write_label_as(
    assessment: Assessment | dict[str, Any],
    svg_path: Path,
    registry_url: str = "",
    today: date | None = None,
    lang: str = "en",
) -> list[Path]:
    """Write the label's SVG to ``svg_path``, its PNG and ``label.json`` beside it (same name,
    suffixes ``.png`` and ``.json``); return the three paths."""
    from assay.present.native import document as published
    from assay.present.native import shown

    lang = language(lang)
    document = published(assessment) if isinstance(assessment, Assessment) else shown(assessment)
    label = build_label(document, product_url(document, registry_url), today)
    svg_path.parent.mkdir(parents=True, exist_ok=True)
    svg = render_svg(label, lang)
    paths = [svg_path, svg_path.with_suffix(".png"), svg_path.with_suffix(".json")]
    paths[0].write_text(svg, encoding="utf-8")
    paths[1].write_bytes(render_png(svg))
    paths[2].write_text(
        json.dumps(label.to_dict(lang), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return paths


def product_url(document: dict[str, Any], registry_url: str) -> str:
    """The product's page: ``registry_url`` when it already names one (``.../products/SLUG``),
    else the page of this product under that registry base URL ("" stays "")."""
    url = registry_url.strip().rstrip("/")
    if not url or "/products/" in url:
        return url
    from assay.registry.identify import product_key  # late: the registry imports this package

    try:
        slug = product_key(document).slug
    except InputError:
        return url  # no manufacturer/model to name the page: the registry's home
    return f"{url}/products/{slug}"


def load_assessment(path: Path) -> dict[str, Any]:
    """Read an ``assessment.json``, with a clear error when it is not one."""
    from assay.safeload import load_json, read_file

    if not path.exists():
        raise InputError(f"{path}: no such file", "give the assessment.json of a scan")
    document = load_json(
        read_file(path, path.name, max_bytes=256 * 1024 * 1024),
        path.name,
        hint="give the assessment.json written by `assay scan`",
        max_bytes=256 * 1024 * 1024,
    )
    check_assessment(document, path.name)
    return document  # type: ignore[no-any-return]


def check_assessment(document: Any, name: str) -> None:
    """Raise InputError unless ``document`` looks like ``Assessment.to_dict()``."""
    if (
        not isinstance(document, dict)
        or "target" not in document
        or "schema_version" not in document
    ):
        raise InputError(
            f"{name}: not an Assay assessment (no schema_version/target)",
            "give the assessment.json written by `assay scan`",
        )
    for key in ("components", "vulnerabilities", "findings", "verdicts", "problems"):
        if not isinstance(document.get(key, []), list):
            raise InputError(f"{name}: '{key}' is not a list", "the file is damaged; scan again")
    if document.get("declaration") is not None and not isinstance(document["declaration"], dict):
        raise InputError(f"{name}: 'declaration' is not a mapping", "scan again")
