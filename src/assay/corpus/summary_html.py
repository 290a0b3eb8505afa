"""The corpus summary as a small HTML page with server-rendered SVG bar charts (no script)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape


def render(questions: dict[str, Any]) -> str:
    env = Environment(
        loader=PackageLoader("assay.corpus", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("corpus.html.j2").render(
        q=questions,
        components=bars(
            [(r["component"], r["firmware"]) for r in questions["vulnerable_components"]]
        ),
        kev=bars([(r["cve"], r["firmware"]) for r in questions["known_exploited"]]),
    )


def bars(items: list[tuple[str, int]], width: int = 640, row: int = 22) -> dict[str, Any]:
    """Geometry of a horizontal bar chart: labels left, bars scaled to the largest value."""
    top = max((n for _, n in items), default=1) or 1
    label_w = 260
    scale = (width - label_w - 50) / top
    return {
        "width": width,
        "height": row * len(items) + 10,
        "bars": [
            {
                "label": label if len(label) <= 34 else label[:33] + "…",
                "value": n,
                "y": 5 + i * row,
                "x": label_w,
                "w": max(1.0, n * scale),
                "row": row,
            }
            for i, (label, n) in enumerate(items)
        ],
    }
