"""``assay declaration init|check``: write a commented template; validate a declaration."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from assay.declaration import check, parse_security_txt, template
from assay.declaration.loader import SECURITY_TXT_BYTES
from assay.errors import EXIT_FINDINGS, InputError, UsageError
from assay.safeload import read_file


@click.group("declaration")
def command() -> None:
    """The manufacturer's declaration: facts an image cannot show."""


@command.command("init")
@click.option("--out", "out", type=click.Path(path_type=Path), default=None, help="Write here.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(out: Path | None, force: bool) -> None:
    """Write a commented declaration template (to stdout without --out)."""
    text = template()
    if out is None:
        click.echo(text, nl=False)
        return
    if out.exists() and not force:
        raise UsageError(f"{out} already exists", hint="pick another --out or add --force")
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot write {out}: {err.strerror}", hint="check the path") from None
    click.echo(f"wrote {out}; fill it in, then run: assay declaration check {out}", err=True)


@command.command("check")
@click.argument("file", type=click.Path(path_type=Path))
def check_command(file: Path) -> None:
    """Validate a declaration (YAML/JSON) or a security.txt file; one line per problem."""
    if _is_security_txt(file):
        _check_security_txt(file)
        return
    result = check(file)
    for error in result.errors:
        click.echo(f"{file}: {error}", err=True)
    if result.errors:
        raise InputError(
            f"declaration {file.name} has {len(result.errors)} problem(s), listed above",
            hint="fix each named field; docs/declaration.md describes them",
        )
    for finding in result.findings:
        click.echo(f"{file}: finding: {finding}")
    statements = len((result.data or {}).get("statements") or {})
    click.echo(f"{file}: valid declaration ({statements} requirement statement(s))")
    if result.findings:
        sys.exit(EXIT_FINDINGS)


def _is_security_txt(file: Path) -> bool:
    return file.name.lower().endswith("security.txt") or file.suffix.lower() == ".txt"


def _check_security_txt(file: Path) -> None:
    raw = read_file(file, f"security.txt {file}", max_bytes=SECURITY_TXT_BYTES)
    parsed = parse_security_txt(raw.decode("utf-8", errors="replace"))
    for problem in parsed.problems:
        click.echo(f"{file}: finding: {problem}")
    for warning in parsed.warnings:
        click.echo(f"{file}: warning: {warning}")
    fields = ", ".join(sorted(parsed.fields)) or "none"
    state = "valid" if parsed.valid else "not valid"
    click.echo(f"{file}: security.txt {state} under RFC 9116 (fields: {fields})")
    if not parsed.valid:
        sys.exit(EXIT_FINDINGS)
