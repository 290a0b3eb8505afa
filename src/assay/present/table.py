"""The terminal table, as Grype draws it: what is vulnerable, what fixes it; then the failed
checks. Rendered with ``rich``; piped or written to a file it is plain text that never wraps
(each row one line), and ``color=False`` drops the colours.

Rows are sorted by what matters: matches that count first, known exploited first, then by
severity, EPSS and component.
"""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from rich.text import Text

from assay.model.assessment import Assessment
from assay.model.check import Verdict
from assay.model.vulnerability import VulnerabilityMatch
from assay.present.gate import counts
from assay.present.native import presentable
from assay.present.text import clean
from assay.vulns.counts import suppression_text

RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "none": 4}
STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}
VULN_COLUMNS = (
    "COMPONENT",
    "INSTALLED",
    "FIXED-IN",
    "VULNERABILITY",
    "SEVERITY",
    "EPSS",
    "KEV",
    "STATUS",
)
CHECK_COLUMNS = ("CHECK", "SEVERITY", "PROBLEM", "WHERE")


def status(match: VulnerabilityMatch) -> str:
    """affected / probable / not affected / ... as the table shows it; a suppressed match:
    who suppressed it and why ("not affected per VEX (...): justification - impact")."""
    mark = getattr(match, "suppressed", None)
    if mark:
        return suppression_text(mark)
    value = str(getattr(match, "status", "affected") or "affected").replace("_", " ")
    if match.conditional and value in ("affected", "probable", "unknown"):
        return f"{value} (if platform)"
    return value


def _sort_key(match: VulnerabilityMatch, name: str) -> tuple[Any, ...]:
    return (
        not counts(match),
        not match.kev,
        RANK.get(match.severity.lower(), 5),
        -(match.epss or 0.0),
        name,
        match.id,
    )


Row = tuple[list[str], list[str], str]  # cells, a style per cell, the row's style


def vulnerability_rows(assessment: Assessment) -> list[Row]:
    shown = presentable(assessment)
    components = {c.ref: c for c in shown.components}
    keyed = []
    for match in shown.vulnerabilities:
        component = components.get(match.component)
        name = component.name if component else match.component
        installed = component.version if component else ""
        fixed = clean((getattr(match, "fixed_in", None) or {}).get("version", ""))
        severity = match.severity.lower()
        cells = [
            name,
            installed,
            fixed,
            match.id,
            severity,
            f"{match.epss:.3f}" if match.epss is not None else "",
            "KEV" if match.kev else "",
            status(match),
        ]
        styles = ["", "", "green", "", STYLE.get(severity, ""), "", "bold red", ""]
        row: Row = (cells, styles, "" if counts(match) else "dim")
        keyed.append((_sort_key(match, name), row))
    return [row for _, row in sorted(keyed, key=lambda item: item[0])]


def check_rows(assessment: Assessment) -> list[Row]:
    shown = presentable(assessment)
    failed = [f for f in shown.findings if f.verdict == Verdict.FAIL]
    failed.sort(key=lambda f: (RANK.get(f.severity.lower(), 5), f.check))
    rows: list[Row] = []
    for finding in failed:
        paths = [e.path for e in finding.evidence if e.path]
        where = f"{paths[0]} (+{len(paths) - 1})" if len(paths) > 1 else "".join(paths)
        severity = finding.severity.lower()
        cells = [finding.check, severity, finding.title or finding.summary, where]
        rows.append((cells, ["", STYLE.get(severity, ""), "", ""], ""))
    return rows


def _widths(columns: tuple[str, ...], rows: list[Row]) -> list[int]:
    widths = [len(c) for c in columns]
    for cells, _, _ in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, cells, strict=True)]
    return widths


def _lay_out(title: str, columns: tuple[str, ...], rows: list[Row]) -> Text:
    """One table as one ``Text``: left-aligned columns three spaces apart, never wrapped."""
    widths = _widths(columns, rows)
    text = Text()
    text.append(title + "\n", style="bold")
    text.append(_line(list(columns), widths) + "\n", style="bold")
    text.append("\u2500" * (sum(widths) + 3 * (len(widths) - 1)) + "\n")
    for cells, styles, row_style in rows:
        last = len(cells) - 1
        for n, (cell, style) in enumerate(zip(cells, styles, strict=True)):
            padded = cell if n == last else cell.ljust(widths[n]) + "   "
            text.append(padded, style=" ".join(x for x in (row_style, style) if x) or None)
        text.append("\n")
    return text


def _line(cells: list[str], widths: list[int]) -> str:
    return "   ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()


def _plain_table(title: str, columns: tuple[str, ...], rows: list[Row]) -> str:
    """The text of :func:`_lay_out` without its styles, made without ``rich`` (which took
    ~15 ms to hold the WR703N's 656 rows)."""
    widths = _widths(columns, rows)
    rule = "\u2500" * (sum(widths) + 3 * (len(widths) - 1))
    lines = [title, _line(list(columns), widths), rule]
    lines += [_line(cells, widths) for cells, _, _ in rows]
    return _plain_text("\n".join(lines) + "\n")


def tables(assessment: Assessment) -> list[Text]:
    """The two tables (or a line saying there is nothing to list)."""
    vulns, checks = vulnerability_rows(assessment), check_rows(assessment)
    return [
        _lay_out("Vulnerabilities", VULN_COLUMNS, vulns)
        if vulns
        else Text("No vulnerabilities matched.\n"),
        _lay_out("Failed checks", CHECK_COLUMNS, checks) if checks else Text("No check failed.\n"),
    ]


def render(assessment: Assessment, color: bool = False) -> str:
    """Both tables as text: plain, or with ANSI colours when ``color``. Each row is one line
    however long (nothing wraps), so the output greps and diffs."""
    if not color:
        vulns, checks = vulnerability_rows(assessment), check_rows(assessment)
        return "\n".join(
            (
                _plain_table("Vulnerabilities", VULN_COLUMNS, vulns)
                if vulns
                else "No vulnerabilities matched.\n",
                _plain_table("Failed checks", CHECK_COLUMNS, checks)
                if checks
                else "No check failed.\n",
            )
        )
    buffer = io.StringIO()
    console = Console(
        file=buffer, force_terminal=True, color_system="standard", width=10_000, soft_wrap=True
    )
    print_tables(console, assessment)
    return buffer.getvalue()


def _plain_text(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.split("\n"))


def print_tables(console: Console, assessment: Assessment) -> None:
    """Print both tables on ``console`` (a terminal: with its colours, rows never wrapped by
    us)."""
    for n, text in enumerate(tables(assessment)):
        if n:
            console.print()
        console.print(text, soft_wrap=True, end="")
