"""The terminal table, as Grype draws it: what is vulnerable, what fixes it; then the failed
checks. Rendered with ``rich``; piped or written to a file it is plain text that never wraps
(each row one line), and ``color=False`` drops the colours.

Rows are sorted by what matters: matches that count first, known exploited first, then by
severity, EPSS and component.
"""

from __future__ import annotations

import io
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from assay.model.assessment import Assessment
from assay.model.check import Verdict
from assay.model.vulnerability import VulnerabilityMatch
from assay.present.gate import counts
from assay.present.native import presentable
from assay.present.text import clean

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
    """affected / probable / not affected / ... as the table shows it."""
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


def vulnerability_table(assessment: Assessment) -> Table:
    shown = presentable(assessment)
    components = {c.ref: c for c in shown.components}
    rows = []
    for match in shown.vulnerabilities:
        component = components.get(match.component)
        name = component.name if component else match.component
        installed = component.version if component else ""
        fixed = (getattr(match, "fixed_in", None) or {}).get("version", "")
        rows.append((_sort_key(match, name), match, name, installed, fixed))
    table = _table("Vulnerabilities", VULN_COLUMNS)
    for _, match, name, installed, fixed in sorted(rows, key=lambda row: row[0]):
        severity = match.severity.lower()
        table.add_row(
            Text(name),
            Text(installed),
            Text(clean(fixed)),
            Text(match.id),
            Text(severity, style=STYLE.get(severity, "")),
            f"{match.epss:.3f}" if match.epss is not None else "",
            Text("KEV", style="bold red") if match.kev else "",
            Text(status(match)),
            style="" if counts(match) else "dim",
        )
    return table


def checks_table(assessment: Assessment) -> Table:
    shown = presentable(assessment)
    failed = [f for f in shown.findings if f.verdict == Verdict.FAIL]
    failed.sort(key=lambda f: (RANK.get(f.severity.lower(), 5), f.check))
    table = _table("Failed checks", CHECK_COLUMNS)
    for finding in failed:
        where = next((e.path for e in finding.evidence if e.path), "")
        more = len([e for e in finding.evidence if e.path]) - 1
        severity = finding.severity.lower()
        table.add_row(
            Text(finding.check),
            Text(severity, style=STYLE.get(severity, "")),
            Text(finding.title or finding.summary),
            Text(f"{where} (+{more})" if more > 0 else where),
        )
    return table


def _table(title: str, columns: tuple[str, ...]) -> Table:
    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        header_style="bold",
    )
    for column in columns:
        table.add_column(column, no_wrap=True, overflow="ignore")
    return table


def render(assessment: Assessment, color: bool = False, width: int | None = None) -> str:
    """Both tables as text (ANSI colours only when ``color``); ``width`` None: as wide as
    the rows need, so nothing wraps."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width or 10_000,
        force_terminal=color,
        no_color=not color,
        highlight=False,
        emoji=False,
        markup=False,
        soft_wrap=False,
    )
    print_tables(console, assessment)
    if width is None:
        return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"
    return buffer.getvalue()


def print_tables(console: Console, assessment: Assessment) -> None:
    """Print both tables on ``console`` (a terminal: its own width and colours)."""
    vulns, checks = vulnerability_table(assessment), checks_table(assessment)
    if vulns.row_count:
        console.print(vulns)
    else:
        console.print("No vulnerabilities matched.")
    if checks.row_count:
        console.print(checks)
    else:
        console.print("No check failed.")
