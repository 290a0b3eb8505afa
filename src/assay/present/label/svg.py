"""Render the label as SVG (50 mm wide) with its QR code, every string cleaned of control
characters (``present.text.clean``) and escaped by Jinja2."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import jinja2
import segno

from assay.present.label.model import Label, join_names
from assay.present.text import clean

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent),
    autoescape=True,
    trim_blocks=True,
    undefined=jinja2.StrictUndefined,
    finalize=lambda value: clean(value, multiline=True) if isinstance(value, str) else value,
)
GREEN, RED, AMBER, GREY = "#1b7a3a", "#b3261e", "#8a5a00", "#5f6368"


def qr_path(url: str) -> tuple[str, int]:
    """The QR code of ``url`` as one SVG path (module units, 4-module quiet zone) and its size."""
    qr = segno.make(url, error="m", micro=False)
    border = 4
    parts = []
    for y, row in enumerate(qr.matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                parts.append(f"M{start + border} {y + border}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return "".join(parts), len(qr.matrix) + 2 * border


def _lines(text: str, width: int, count: int) -> list[str]:
    lines = textwrap.wrap(text, width) or [""]
    if len(lines) > count:
        lines = lines[:count]
        lines[-1] = lines[-1][: width - 1].rstrip() + "\u2026"
    return lines


def _url_lines(url: str, width: int, count: int) -> list[str]:
    """A URL cut after "/" or "-" where possible (never inside a word unless it must)."""
    lines: list[str] = []
    current = ""
    for token in re.split(r"(?<=[/-])", url):
        if current and len(current) + len(token) > width:
            lines.append(current)
            current = ""
        while len(token) > width:
            lines.append(token[:width])
            token = token[width:]
        current += token
    if current:
        lines.append(current)
    if len(lines) > count:
        lines = lines[:count]
        lines[-1] = lines[-1][: width - 1] + "\u2026"
    return lines


def _row(name: str, value: str, fill: str, y: int) -> dict[str, object]:
    size = 22 if len(value) <= 4 else 17  # "UNKNOWN" in a smaller pill leaves room for the name
    width = 30 + (17 if size == 22 else 13) * len(value)
    return {"name": name, "value": value, "fill": fill, "y": y, "width": width, "size": size}


def _yes_no(value: bool | None, good: bool) -> tuple[str, str]:
    if value is None:
        return "UNKNOWN", GREY
    return ("YES" if value else "NO"), (GREEN if value == good else RED)


def render_svg(label: Label) -> str:
    """The label as a standalone SVG document."""
    title_lines = _lines(_product_line(label), 24, 2)
    y_sub = 146 + 34 * len(title_lines)
    sub_lines = [
        _lines(text, 40, 1)[0]
        for text in (
            f"Hardware {label.hardware_version}" if label.hardware_version else "",
            f"Firmware {label.firmware_version}" if label.firmware_version else "",
        )
        if text
    ]
    y_box = y_sub + 26 * max(0, len(sub_lines) - 1) + 22
    if label.status == "SUPPORTED":
        box = ("SECURITY UPDATES UNTIL", _date(label), GREEN, "#e6f4ea", 46)
    elif label.status == "EXPIRED":
        box = (f"UPDATES ENDED {_date(label)}", "EXPIRED", RED, "#fce8e6", 50)
    else:
        box = ("SECURITY UPDATES UNTIL", "NOT DECLARED", AMBER, "#fef7e0", 40)
    y_level = y_box + 118 + 46
    level = label.level.value
    if label.self_asserted_by:  # not measured by Assay: said so where the level would stand
        level_text = "Self-asserted: no level"
    else:
        level_text = f"Level {level} of 4" if level else "No level: baseline not met"
    rows = []
    y = y_level + 56
    for name, fact in (
        ("No default passwords", label.no_default_passwords),
        ("Automatic security updates", label.automatic_updates),
        ("Way to report vulnerabilities", label.vulnerability_reporting),
    ):
        rows.append(_row(name, *_yes_no(fact.value, True), y))
        y += 44
    kev = label.kev_unfixed
    rows.append(_row("Known exploited vulns unfixed", str(kev), RED if kev else GREEN, y))
    y_data = y + 44
    data_lines = _lines(label.data_text(), 36, 2)
    y_qr = y_data + 30 * len(data_lines) + 18
    path, modules = qr_path(label.registry_url) if label.registry_url else ("", 1)
    qr_px = 150 if path else 30
    height = y_qr + qr_px + 20
    return _ENV.get_template("label.svg.j2").render(
        label=label,
        height=height,
        stars=[i < level for i in range(4)],
        manufacturer=_lines(label.manufacturer or "Manufacturer not declared", 34, 1)[0],
        title_lines=title_lines,
        sub_lines=sub_lines,
        y_sub=y_sub,
        y_box=y_box,
        box_heading=box[0],
        box_value=box[1],
        box_ink=box[2],
        box_stroke=box[2],
        box_fill=box[3],
        box_size=box[4],
        y_level=y_level,
        level_text=level_text,
        rows=rows,
        y_data=y_data,
        data_lines=data_lines,
        qr_path=path,
        qr_size=modules,
        qr_scale=round(qr_px / modules, 4),
        qr_px=qr_px,
        y_qr=y_qr,
        url_lines=_url_lines(label.registry_url, 30, 3),
        assessed=label.assessed[:10] or "unknown",
    )


def _date(label: Label) -> str:
    return label.support_until.strftime("%d %b %Y").upper() if label.support_until else ""


def _product_line(label: Label) -> str:
    """Product and model (the manufacturer has its own line)."""
    return join_names(label.product, label.model) or "Unnamed product"
