"""``assay checks list|show|run``: the security-by-default checks."""

from __future__ import annotations

import json
from pathlib import Path

import click

from assay.checks import CheckContext, builtin_checks, get_check, run_context
from assay.errors import InputError
from assay.extract.rootfs import RootFS
from assay.model.check import Verdict


@click.group("checks")
def command() -> None:
    """Security-by-default checks on an unpacked image: list, show, run."""


@command.command("list")
def list_command() -> None:
    """List every check: id, severity, title."""
    for check in builtin_checks():
        click.echo(f"{check.id:<30} {check.severity:<9} {check.title}")


@command.command("show")
@click.argument("check_id")
def show_command(check_id: str) -> None:
    """Show one check: why it matters, how to fix, which requirements it serves."""
    check = get_check(check_id)
    click.echo(f"{check.id}  {check.title}")
    click.echo(f"severity:  {check.severity}")
    click.echo(f"serves:    {', '.join(check.serves)}")
    click.echo(f"why:       {check.rationale}")
    click.echo("how to fix:")
    for step in check.fix.splitlines():
        click.echo(f"  - {step}")


@command.command("run")
@click.argument("rootfs", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def run_command(rootfs: tuple[str, ...], as_json: bool) -> None:
    """Run every check on one or more unpacked root filesystem directories."""
    roots = []
    for path in rootfs:
        p = Path(path)
        if not p.is_dir():
            raise InputError(
                f"{path} is not a directory",
                hint="give an unpacked root filesystem (use `assay scan` for an image file)",
            )
        roots.append(RootFS(p))
    findings = run_context(CheckContext(rootfs=roots))
    if as_json:
        click.echo(json.dumps([f.to_dict() for f in findings], indent=2))
        return
    for f in findings:
        click.echo(f"{f.verdict:<15} {f.severity:<9} {f.check:<30} {f.summary}")
        if f.verdict == Verdict.FAIL:
            for e in f.evidence[:5]:
                where = f"{e.path}:{e.line}" if e.line else e.path
                click.echo(f"{'':26}{where}  {e.excerpt[:60]}  ({e.note})")
