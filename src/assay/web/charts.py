"""Charts of the accountability ledger as server-rendered SVG: no script, readable without
colour (dash patterns, hatching and a value written beside every mark), each with a
``<title>``, a ``<desc>`` and the same numbers as a data table on the page.

Three charts, for a product (its ledger) or a manufacturer (all its products' ledgers):

- ``exposure``: open vulnerabilities and open known exploited ones over time, a step line
  each (a vulnerability is open from the later of its publication and the first firmware
  carrying it, to the first firmware without it);
- ``fix-time``: days each vulnerability took (or has taken so far) to fix, against the
  declared fix time;
- ``support``: days past the declared support end (or days left).

The shapes are computed here and drawn by the ``charts/chart.svg`` template with SVG
presentation attributes only, so the markup passes the pages' ``style-src 'self'`` policy
inline and as a file.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

NAMES = ("exposure", "fix-time", "support")
INK, OPEN, KEV, GRID = "currentColor", "#1a5fb4", "#b3261e", "#999999"
WIDTH, TOP, BOTTOM = 480, 22, 36
MOST_BARS = 12

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates" / "charts"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


@dataclass
class Chart:
    id: str
    name: str
    title: str
    desc: str
    height: int
    width: int = WIDTH
    shapes: list[dict[str, Any]] = field(default_factory=list)
    headers: tuple[str, ...] = ()
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def text(self, x: float, y: float, text: str, anchor: str = "start", **more: Any) -> None:
        self.shapes.append(
            {"kind": "text", "x": _r(x), "y": _r(y), "text": text, "anchor": anchor, **more}
        )

    def line(self, x1: float, y1: float, x2: float, y2: float, **more: Any) -> None:
        shape = {"kind": "line", "x1": _r(x1), "y1": _r(y1), "x2": _r(x2), "y2": _r(y2)}
        self.shapes.append({"stroke": GRID, "width": 1, **shape, **more})

    def rect(self, x: float, y: float, w: float, h: float, **more: Any) -> None:
        shape = {"kind": "rect", "x": _r(x), "y": _r(y), "w": _r(max(w, 1.0)), "h": _r(h)}
        self.shapes.append({"fill": OPEN, "stroke": INK, "hatch": False, **shape, **more})

    @cached_property
    def svg(self) -> Markup:
        return Markup(_ENV.get_template("chart.svg").render(c=self))


def _r(value: float) -> float:
    return round(value, 1)


def _date(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text)[:10]) if text else None
    except ValueError:
        return None


def _nice(top: int) -> tuple[int, int]:
    """An axis maximum and tick step for counts up to ``top``."""
    if top <= 4:
        return max(top, 1), 1
    raw = top / 4
    mag = 10 ** math.floor(math.log10(raw))
    step = next(s * mag for s in (1, 2, 2.5, 5, 10) if s * mag >= raw)
    step = max(1, int(step))
    return step * math.ceil(top / step), step


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _entries(ledgers: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(product name, vulnerability entry) of every ledger."""
    return [
        (str(lg.get("name") or ""), e) for lg in ledgers for e in lg.get("vulnerabilities") or []
    ]


def exposure(ledgers: list[dict[str, Any]], today: date, prefix: str) -> Chart:
    """Open and open known exploited vulnerabilities over time, as step lines."""
    spans: list[tuple[date, date | None, bool]] = []
    for _name, e in _entries(ledgers):
        start, end = _date(e.get("exposed_from")), _date(e.get("fixed_on"))
        if start is None:
            continue
        spans.append((start, end, False))
        kev = _date(e.get("kev_added"))
        if kev is not None and (end is None or max(kev, start) < end):
            spans.append((max(kev, start), end, True))
    many = len(ledgers) > 1
    chart = Chart(
        f"{prefix}-exposure",
        "exposure",
        "Open vulnerabilities over time" + (", counted per product" if many else ""),
        "",
        250,
        headers=("Date", "Open vulnerabilities", "Open known exploited"),
    )
    change: dict[date, list[int]] = {today: [0, 0]}  # a sweep: +1 where open, -1 where fixed
    for begin, until, known in spans:
        change.setdefault(begin, [0, 0])[int(known)] += 1
        if until is not None:
            change.setdefault(until, [0, 0])[int(known)] -= 1
    points, counts = [], [0, 0]
    for moment in sorted(m for m in change if m <= today):
        counts = [counts[0] + change[moment][0], counts[1] + change[moment][1]]
        points.append((moment, counts[0], counts[1]))
    chart.rows = [(m.isoformat(), o, k) for m, o, k in _sampled(points)]
    if not spans:
        chart.desc = "No vulnerability has been found in this firmware."
        chart.height = 60
        chart.text(10, 34, chart.desc)
        return chart
    now_open, now_kev = points[-1][1], points[-1][2]
    peak = max(points, key=lambda p: p[1])
    chart.desc = (
        f"From {points[0][0].isoformat()} to {today.isoformat()}: "
        f"{now_open} open today (peak {peak[1]} on {peak[0].isoformat()}), "
        f"{now_kev} of them known exploited. Solid line: all open; dashed line: known exploited."
    )
    left, right = 40, WIDTH - 134
    bottom = chart.height - BOTTOM
    # at least a month wide, so that one day's counts still draw a line
    last = today.toordinal()
    first = min(points[0][0].toordinal(), last - 30)
    top, step = _nice(max(p[1] for p in points))

    def x(d: date) -> float:
        return left + (d.toordinal() - first) / (last - first) * (right - left)

    def y(v: int) -> float:
        return bottom - v / top * (bottom - TOP)

    for tick in range(0, top + 1, step):
        chart.line(left, y(tick), right, y(tick), dash="2 3" if tick else "")
        chart.text(left - 6, y(tick) + 4, str(tick), "end", size=12)
    for i in range(5):
        d = date.fromordinal(first + round(i * (last - first) / 4))
        chart.line(x(d), bottom, x(d), bottom + 4)
        label = d.isoformat()[:7] if last - first < 3 * 365 else str(d.year)
        chart.text(x(d), bottom + 18, label, "middle", size=12)
    for index, (stroke, dash, width) in enumerate(((OPEN, "", 2.5), (KEV, "7 4", 2.5))):
        path = f"M{_r(x(date.fromordinal(first)))} {_r(y(0))}"
        for moment, now, exploited in points:
            path += f" H{_r(x(moment))} V{_r(y((now, exploited)[index]))}"
        chart.shapes.append(
            {"kind": "path", "d": path, "stroke": stroke, "dash": dash, "width": width}
        )
    y_open, y_kev = y(now_open), y(now_kev)
    if abs(y_open - y_kev) < 16:  # keep the two end labels apart
        y_open, y_kev = (y_open - 8, y_kev + 8) if now_open >= now_kev else (y_open + 8, y_kev - 8)
    chart.text(right + 6, y_open + 4, f"{now_open} open", bold=True)
    chart.text(right + 6, y_kev + 4, f"{now_kev} known exploited", size=12)
    if peak[1] > now_open:
        chart.text(x(peak[0]), y(peak[1]) - 6, f"peak {peak[1]}", "middle", size=12)
    return chart


def fix_time(ledgers: list[dict[str, Any]], prefix: str) -> Chart:
    """Days each vulnerability took to fix (or so far), longest first, against the promise."""
    many = len(ledgers) > 1
    entries = sorted(_entries(ledgers), key=lambda ne: -int(ne[1].get("days_to_fix") or 0))
    promises = {int(d) for lg in ledgers if (d := lg.get("declared_fix_days")) is not None}
    chart = Chart(
        f"{prefix}-fix-time",
        "fix-time",
        "Time to fix against the promise",
        "",
        0,
        headers=("Vulnerability", *(("Product",) if many else ()), "Days", "State", "Promised"),
    )
    for name, e in entries[:MOST_BARS]:  # the bars drawn; the ledger lists every one
        state = "open" if e.get("open") else f"fixed in {e.get('fixed_in')}"
        promised = e.get("declared_fix_days")
        chart.rows.append(
            (
                e.get("id"),
                *((name,) if many else ()),
                int(e.get("days_to_fix") or 0),
                state + (" (late)" if e.get("late") else ""),
                "none" if promised is None else f"{promised} days",
            )
        )
    shown = entries[:MOST_BARS]
    late = sum(bool(e.get("late")) for _n, e in entries)
    if not shown:
        chart.desc = "No vulnerability to fix."
        chart.height = 60
        chart.text(10, 34, chart.desc)
        return chart
    promise = min(promises) if len(promises) == 1 else None
    chart.desc = (
        f"The {len(shown)} longest of {_plural(len(entries), 'vulnerability', 'vulnerabilities')}"
        f"; {late} late. "
        + (f"Promised fix time: {promise} days (dashed line). " if promise is not None else "")
        + ("Promised fix times differ by product. " if len(promises) > 1 else "")
        + ("No fix time declared. " if not promises else "")
        + "Solid bars: fixed; hatched bars: still open."
    )
    bar, gap, left, right = 18, 8, 118, WIDTH - 142
    chart.height = TOP + 16 + len(shown) * (bar + gap) + 24
    longest = max([int(e.get("days_to_fix") or 0) for _n, e in shown] + [promise or 0, 1])

    def x(days: float) -> float:
        return left + days / longest * (right - left)

    for i, (_name, e) in enumerate(shown):
        top = TOP + 16 + i * (bar + gap)
        days = int(e.get("days_to_fix") or 0)
        is_open = bool(e.get("open"))
        chart.text(left - 6, top + 13, str(e.get("id")), "end", size=12)
        chart.rect(left, top, x(days) - left, bar, hatch=is_open)
        words = f"{days} d" + (", open" if is_open else "") + (", late" if e.get("late") else "")
        chart.text(x(days) + 5, top + 13, words, size=12, bold=bool(e.get("late")))
    bottom = chart.height - 20
    chart.line(left, TOP + 10, left, bottom, stroke=INK)
    if promise is not None:
        chart.line(x(promise), TOP + 6, x(promise), bottom, stroke=INK, width=2, dash="6 4")
        chart.text(x(promise), TOP, f"promised: {promise} days", "middle", bold=True, size=12)
    chart.text(left, chart.height - 4, f"days (longest {len(shown)} of {len(entries)})", size=12)
    return chart


def support(ledgers: list[dict[str, Any]], prefix: str) -> Chart:
    """Days past the declared support end (hatched, to the right) or days left (solid, left)."""
    chart = Chart(
        f"{prefix}-support",
        "support",
        "Days past the support end",
        "",
        0,
        headers=("Product", "Support end", "Days past the end", "Updates after the end"),
    )
    rows = []
    for lg in ledgers:
        s = lg.get("support") or {}
        left = s.get("days_left")
        past = None if left is None else -int(left)
        after = len(lg.get("releases_after_support_end") or [])
        rows.append((str(lg.get("name") or ""), s.get("end"), past, after))
        chart.rows.append(
            (rows[-1][0], s.get("end") or "not declared", "" if past is None else past, after)
        )
    words = [
        f"{n}: " + ("no support end declared" if p is None else _past(p)) for n, _e, p, _a in rows
    ]
    chart.desc = "; ".join(words) + "." if words else "No product."
    bar, gap, label_w, words_w = 20, 10, 128, 162
    chart.height = TOP + len(rows) * (bar + gap) + 30
    pasts = [p for _n, _e, p, _a in rows if p is not None]
    most = max([abs(p) for p in pasts] + [1])
    before, after = any(p < 0 for p in pasts), any(p > 0 for p in pasts)
    if not before:  # every bar runs right of the support end
        zero = label_w + 4.0
    elif not after:  # every bar runs left of it; the words stand right of it
        zero = WIDTH - 110.0
    else:
        zero = label_w + (WIDTH - label_w - words_w) / 2
    left_len, right_len = zero - label_w - 4, WIDTH - words_w - zero

    for i, (name, _end, past, _after) in enumerate(rows):
        top = TOP + 10 + i * (bar + gap)
        short = name[:18] + ("\u2026" if len(name) > 18 else "")
        chart.text(label_w - 6, top + 14, short, "end", size=12)
        if past is None:
            chart.text(zero + 6, top + 14, "not declared", size=12)
        elif past > 0:
            length = past / most * right_len
            chart.rect(zero, top, length, bar, hatch=True)
            chart.text(zero + length + 5, top + 14, _past(past), size=12, bold=True)
        else:
            chart.rect(zero - -past / most * left_len, top, -past / most * left_len, bar)
            chart.text(zero + 6, top + 14, _past(past), size=12)
    chart.line(zero, TOP, zero, chart.height - 18, stroke=INK, width=2)
    anchor = "middle" if before else "start"
    chart.text(zero - (0 if before else 2), chart.height - 4, "support end", anchor, bold=True)
    return chart


def _past(days: int) -> str:
    if days > 0:
        return _plural(days, "day", "days") + " past the end"
    return _plural(-days, "day", "days") + " left"


def charts(ledgers: list[dict[str, Any]], today: date, prefix: str) -> list[Chart]:
    """The three charts of these ledgers (``prefix`` keeps element ids unique on a page)."""
    return [exposure(ledgers, today, prefix), fix_time(ledgers, prefix), support(ledgers, prefix)]


def for_page(ledgers: Any, today: Any, prefix: str = "chart") -> list[Chart]:
    """The charts a page template shows: ``ledgers`` is one ledger, a list of them, or None."""
    if not ledgers:
        return []
    items = (
        [ledgers] if isinstance(ledgers, dict) else [lg for lg in ledgers if isinstance(lg, dict)]
    )
    day = _date(today) or date.today()
    key = hashlib.sha256(json.dumps([items, str(day), prefix], default=str).encode()).digest()
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    found = charts(items, day, prefix)
    for chart in found:
        _ = chart.svg  # rendered once, kept with the chart
    with _LOCK:
        if len(_CACHE) >= 64:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = found
    return found


_CACHE: dict[bytes, list[Chart]] = {}  # the same ledger on the same day draws the same charts
_LOCK = threading.Lock()


def _sampled(points: list[tuple[date, int, int]]) -> list[tuple[date, int, int]]:
    """The counts for the data table: on the first of each year (of each month when the
    span is under two years), at the peak and today; not one row per change."""
    if len(points) <= 24:
        return points
    first, last = points[0][0], points[-1][0]
    if (last - first).days >= 730:
        marks = [date(y, 1, 1) for y in range(first.year + 1, last.year + 1)]
    else:
        months = (last.year - first.year) * 12 + last.month - first.month
        marks = [
            date(first.year + (first.month + i) // 12, (first.month + i) % 12 + 1, 1)
            for i in range(months)
        ]
    moments = [p[0] for p in points]
    peak = max(points, key=lambda p: p[1])
    rows = {first: points[0], last: points[-1], peak[0]: peak}
    for mark in marks:
        _day, now, exploited = points[bisect_right(moments, mark) - 1]
        rows[mark] = (mark, now, exploited)
    return sorted(rows.values())


def standalone(chart: Chart) -> str:
    """The chart as an SVG file."""
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + str(chart.svg)
