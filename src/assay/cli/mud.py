"""``assay mud``: MUD files (RFC 8520) written from the firmware, and checked against it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from assay.errors import InputError

MAX_BYTES = 64 * 1024 * 1024


@click.group("mud")
def command() -> None:
    """MUD files: generate one for a product, or check a published one against the firmware."""


@command.command("generate")
@click.argument("assessment", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--mud-url",
    required=True,
    metavar="URL",
    help="Where the file will be published (https://...).",
)
@click.option(
    "--cloud",
    multiple=True,
    metavar="HOST[:PORT]",
    help="A cloud endpoint the device talks to (TCP, default port 443). Repeatable.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the MUD file here (default: stdout).",
)
def generate_command(
    assessment: Path, mud_url: str, cloud: tuple[str, ...], out: Path | None
) -> None:
    """Write a MUD file allowing exactly what the firmware in ASSESSMENT needs."""
    from assay.environment.mudfile import generate, validate

    doc = generate(_read(assessment), mud_url, list(cloud))
    errors = validate(doc)
    if errors:
        raise InputError(f"the MUD file would not be valid: {errors[0]}", "check --mud-url")
    text = json.dumps(doc, indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")


@command.command("check")
@click.argument("mud_file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.argument("assessment", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--cloud",
    multiple=True,
    metavar="HOST[:PORT]",
    help="A cloud endpoint the device is known to need. Repeatable.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def check_command(mud_file: Path, assessment: Path, cloud: tuple[str, ...], as_json: bool) -> None:
    """Hold a published MUD_FILE against the firmware in ASSESSMENT; exit 1 on findings."""
    from assay.environment.mudfile import check, validate

    mud = _read(mud_file)
    problems = [
        {"kind": "invalid", "entry": "", "detail": e, "severity": "medium"} for e in validate(mud)
    ]
    rows = problems + check(mud, _read(assessment), list(cloud))
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    else:
        for row in rows:
            entry = f" [{row['entry']}]" if row["entry"] else ""
            click.echo(f"{row['severity']:<6} {row['kind']}{entry}: {row['detail']}")
        if not rows:
            click.echo("the MUD file allows what the firmware needs, and nothing more")
    raise SystemExit(1 if rows else 0)


def _read(path: Path) -> Any:
    from assay.safeload import load_json, read_file

    return load_json(
        read_file(path, path.name, max_bytes=MAX_BYTES),
        path.name,
        hint="give a JSON file",
        max_bytes=MAX_BYTES,
    )
