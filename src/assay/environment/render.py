"""Outputs of an environment analysis: JSON, Markdown, and HTML with the network drawn as SVG
on the server (no script; every string escaped by Jinja2's autoescaping)."""

from __future__ import annotations

import json
import re
from collections import defaultdict, deque
from typing import Any

from jinja2 import Environment as Jinja
from jinja2 import PackageLoader, select_autoescape

from assay.environment.graph import SINK, build_graph
from assay.environment.model import Environment

MAX_DRAWN = 400
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def to_json(result: dict[str, Any]) -> str:
    return json.dumps(result, indent=2, sort_keys=False, default=str) + "\n"


def to_markdown(result: dict[str, Any]) -> str:
    return _jinja(autoescape=False).get_template("environment.md.j2").render(r=result)


def to_html(result: dict[str, Any], env: Environment) -> str:
    return (
        _jinja(autoescape=True)
        .get_template("environment.html.j2")
        .render(r=result, drawing=drawing(env, result))
    )


def _jinja(autoescape: bool) -> Jinja:
    return Jinja(
        loader=PackageLoader("assay.environment", "templates"),
        autoescape=select_autoescape(default=autoescape, default_for_string=autoescape),
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_printable if autoescape else _markdown_cell,
    )


def _printable(value: Any) -> Any:
    """Every value printed loses control characters (an ESC from a device name must reach
    neither a terminal nor an XML parser); HTML escaping happens after this."""
    if isinstance(value, str):
        return CONTROL.sub("", value)
    return value


def _markdown_cell(value: Any) -> Any:
    """Markdown: also keep a value inside its table cell."""
    value = _printable(value)
    if isinstance(value, str):
        return value.replace("|", "\\|").replace("\n", " ")
    return value


def drawing(env: Environment, result: dict[str, Any]) -> dict[str, Any] | None:
    """Positions for a layered drawing: one row per hop from the uplinks."""
    graph = build_graph(env)
    if len(graph) - 1 > MAX_DRAWN:
        return None
    depth = {SINK: 0}
    queue = deque([SINK])
    while queue:
        v = queue.popleft()
        for w in sorted(graph[v]):
            if w not in depth:
                depth[w] = depth[v] + 1
                queue.append(w)
    rows: dict[int, list[str]] = defaultdict(list)
    for v in sorted(graph):
        if v != SINK:
            rows[depth.get(v, max(depth.values()) + 1)].append(v)
    width = max(600, 40 * max((len(r) for r in rows.values()), default=1))
    pos: dict[str, tuple[float, float]] = {}
    for level, (_, vids) in enumerate(sorted(rows.items())):
        step = width / (len(vids) + 1)
        for i, v in enumerate(vids):
            pos[v] = (step * (i + 1), 40 + 70 * level)
    spof = {s["vertex"] for s in result["single_points_of_failure"] if "vertex" in s}
    kev = {v for v, d in env.devices.items() if any(f.kev for f in d.findings)}
    vulnerable = {v for v, d in env.devices.items() if d.findings}
    unreachable = set(result["environment"]["unreachable_devices"])
    points = []
    for v, (x, y) in pos.items():
        cls = (
            "kev"
            if v in kev
            else "vulnerable"
            if v in vulnerable
            else "unreachable"
            if v in unreachable
            else "device"
            if v in env.devices
            else "node"
        )
        item = env.devices.get(v) or env.nodes.get(v)
        label = (item.name if item and item.name else v)[:24]
        points.append(
            {
                "x": x,
                "y": y,
                "cls": cls,
                "spof": v in spof,
                "label": label,
                "title": f"{label} ({cls}{', single point of failure' if v in spof else ''})",
            }
        )
    lines = [
        {"x1": pos[a][0], "y1": pos[a][1], "x2": pos[b][0], "y2": pos[b][1]}
        for a in graph
        for b in graph[a]
        if a < b
        if a in pos and b in pos
    ]
    return {"width": width, "height": 80 + 70 * len(rows), "points": points, "lines": lines}
