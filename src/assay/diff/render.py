"""A diff as rich tables for a terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from assay.diff.core import Diff


def render_text(diff: Diff, console: Console) -> None:
    """Print the diff; empty sections are left out, and an empty diff says so."""
    console.print(f"[bold]{diff.old_name}[/] → [bold]{diff.new_name}[/]")
    if diff.identity:
        table = Table("identity", "old", "new", title="Identity")
        for name, old, new in diff.identity:
            table.add_row(name, old, new)
        console.print(table)
    if diff.components:
        table = Table("component", "change", "old", "new", title="Components")
        for c in diff.components:
            table.add_row(c.name, c.change, c.old_version, c.new_version)
        console.print(table)
    if diff.vulnerabilities:
        table = Table(
            "vulnerability", "component", "change", "severity", "KEV", title="Vulnerabilities"
        )
        for v in diff.vulnerabilities:
            table.add_row(
                v.id, f"{v.component} {v.version}", v.change, v.severity, "yes" if v.kev else ""
            )
        console.print(table)
    for title, rows in (("Check findings", diff.findings), ("Norm verdicts", diff.verdicts)):
        if rows:
            table = Table("item", "old", "new", title=title)
            for r in rows:
                table.add_row(r.key, r.old or "(absent)", r.new or "(absent)")
            console.print(table)
    summary = diff.to_dict()["summary"]
    console.print(
        f"{summary['added']} added, {summary['removed']} removed, {summary['upgraded']} "
        f"upgraded, {summary['downgraded']} downgraded, {diff.unchanged_components} unchanged "
        f"components; {summary['fixed']} vulnerabilities fixed, {summary['introduced']} "
        f"introduced, {len(diff.still_open)} still open"
    )
    if diff.empty:
        console.print("No differences.")
