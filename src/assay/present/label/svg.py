"""Render the label as SVG (50 mm wide) with its QR code, every string cleaned of control
characters (``present.text.clean``) and escaped by Jinja2."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import jinja2
import segno

from assay.present.label import fit
from assay.present.label.model import Label, Statement, join_names
from assay.present.label.words import Words, words
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


ROOM = 452  # text width inside the border (x 24 to 476)


def _row(statement: Statement, y: int) -> dict[str, object]:
    """One fact: its name (wrapped left), its value in a coloured pill (right)."""
    size = 22 if fit.width(statement.value, 22, True) <= 130 else 17
    pill = round(fit.width(statement.value, size, True)) + 30
    names = fit.wrap(statement.name, 22, ROOM - pill - 16, most=2)
    fill = {"good": GREEN, "bad": RED}.get(statement.tone, GREY)
    return {
        "names": names,
        "value": statement.value,
        "fill": fill,
        "y": y,
        "width": pill,
        "size": size,
        "height": 44 + 26 * (len(names) - 1),
    }


def render_svg(label: Label, lang: str = "en") -> str:
    """The label as a standalone SVG document, its words in ``lang``."""
    say = words(lang)
    y = 112
    maker = fit.wrap(label.manufacturer or say("no_manufacturer"), 22, ROOM, most=4)
    manufacturer = [(line, y + 28 * i) for i, line in enumerate(maker)]
    y += 28 * (len(maker) - 1) + 34
    title = fit.wrap(_product_line(label, say("unnamed_product")), 30, ROOM, True, most=3)
    title_lines = [(line, y + 34 * i) for i, line in enumerate(title)]
    y += 34 * (len(title) - 1) + 30
    sub_lines = []
    for key, version in (
        ("hardware", label.hardware_version),
        ("firmware", label.firmware_version),
    ):
        for line in fit.wrap(say(key, version=version), 20, ROOM, most=2) if version else []:
            sub_lines.append((line, y))
            y += 26
    y_box = y - 4 if sub_lines else y - 8
    when = say.date(label.support_until).upper() if label.support_until else ""
    if label.status == "SUPPORTED":
        box = (say("box_until"), when, GREEN, "#e6f4ea", 46)
    elif label.status == "EXPIRED":
        box = (say("box_ended", date=when), say("box_expired"), RED, "#fce8e6", 50)
    else:
        box = (say("box_until"), say("box_undeclared"), AMBER, "#fef7e0", 40)
    y_level = y_box + 118 + 46
    level = label.level.value
    stars = not label.self_asserted_by
    level_why = ""
    if label.self_asserted_by:
        level_why = say("self_asserted_why")
    elif not level:
        level_why = say("level_0_why")
    level_room = ROOM - (150 if stars else 0)
    why_size = fit.fit(level_why, 19, ROOM)
    why_lines = fit.wrap(level_why, why_size, ROOM, most=2) if level_why else []
    y = y_level + 24 * len(why_lines) + (6 if why_lines else 0) + 56
    rows = []
    for statement in label.statements(lang):
        row = _row(statement, y)
        rows.append(row)
        y += int(row["height"])  # type: ignore[call-overload]
    data = []
    y_data = y
    for heading, value in label.data_lines(lang):
        for line in fit.wrap(heading, 20, ROOM, most=2):
            data.append((line, y, False))
            y += 28
        for line in fit.wrap(value, 22, ROOM, True, most=4):
            data.append((line, y, True))
            y += 28
        y += 6
    y_qr = y + 4
    path, modules = qr_path(label.registry_url) if label.registry_url else ("", 1)
    qr_px = 150 if path else 30
    side = ROOM - qr_px - 12
    scan = fit.wrap(say("scan"), 22, side, True, most=2)
    url_y = y_qr + 62 + 26 * (len(scan) - 1)
    urls = _url_lines(label.registry_url, 28, 4 - len(scan)) if path else []
    y_assessed = max(y_qr + qr_px - 8, url_y + 22 * len(urls) + 6)
    y_issued = y_assessed + 38
    issued = [
        (line, y_issued + 22 * i)
        for i, line in enumerate(fit.wrap(label.issued_text(lang), 17, ROOM, most=6))
    ]
    height = y_issued + 22 * (len(issued) - 1) + 24
    return _ENV.get_template("label.svg.j2").render(
        lang=say.lang,
        svg_title=say("svg_title", product=label.title),
        text=label.text(lang),
        heading=say("heading"),
        heading_size=fit.fit(say("heading"), 27, ROOM, True),
        height=height,
        stars=[i < level for i in range(4)] if stars else [],
        manufacturer=manufacturer,
        title_lines=title_lines,
        sub_lines=sub_lines,
        y_box=y_box,
        box_heading=box[0],
        box_heading_size=fit.fit(box[0], 22, 440, True),
        box_value=box[1],
        box_ink=box[2],
        box_fill=box[3],
        box_size=fit.fit(box[1], box[4], 440, True),
        y_level=y_level,
        level_text=label.level_text(lang),
        level_size=fit.fit(label.level_text(lang), 26, level_room, True),
        level_why=why_lines,
        why_size=why_size,
        rows=rows,
        y_data=y_data,
        data=data,
        qr_path=path,
        qr_size=modules,
        qr_scale=round(qr_px / modules, 4),
        qr_px=qr_px,
        y_qr=y_qr,
        scan=scan,
        url_lines=urls,
        url_y=url_y,
        y_assessed=y_assessed,
        assessed=say("assessed", date=_assessed(label, say)),
        issued=issued,
    )


def _assessed(label: Label, say: Words) -> str:
    try:
        return say.date(date.fromisoformat(label.assessed[:10]))
    except ValueError:
        return label.assessed[:10] or "?"


def _product_line(label: Label, unnamed: str) -> str:
    """Product and model (the manufacturer has its own lines)."""
    return join_names(label.product, label.model) or unnamed
