"""``assay vex export|import|validate``: CSAF 2.0, OpenVEX and CycloneDX VEX."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from assay.cli.diff import load_assessment
from assay.cli.options import registry_option
from assay.errors import InputError, UsageError
from assay.present.vex import (
    Publisher,
    VexStatement,
    csaf_problems,
    detect_format,
    export_csaf,
    export_cyclonedx_vex,
    export_openvex,
    load_vex,
    resolve,
)
from assay.present.vex.cyclonedx import cyclonedx_errors
from assay.present.vex.io import read_json
from assay.present.vex.schemas import openvex_errors

FORMATS = ("csaf-vex", "csaf-advisory", "openvex", "cyclonedx")
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # a registry product slug (registry.identify)


@click.group("vex")
def command() -> None:
    """VEX and advisories: export CSAF / OpenVEX / CycloneDX VEX, import statements, validate."""


def _statements(files: tuple[Path, ...]) -> list[VexStatement]:
    out: list[VexStatement] = []
    for path in files:
        out.extend(load_vex(path))
    return out


@command.command("export")
@click.argument("assessment")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csaf-vex", show_default=True)
@click.option(
    "--vex",
    "vex_files",
    multiple=True,
    type=click.Path(path_type=Path),
    help="VEX file(s) whose statements change the matches' statuses.",
)
@click.option("--publisher-name", default="", help="CSAF publisher (default: the vendor).")
@click.option("--publisher-namespace", default="", help="CSAF publisher namespace URI.")
@click.option("--out", "out", type=click.Path(path_type=Path), help="Write here, not stdout.")
@registry_option
def export_command(
    assessment: str,
    fmt: str,
    vex_files: tuple[Path, ...],
    publisher_name: str,
    publisher_namespace: str,
    out: Path | None,
    url: str | None,
) -> None:
    """Export the vulnerability statuses of an assessment.json as a validated VEX document.

    ASSESSMENT may also be a registered product's slug: a CSAF document of all its firmware
    under re-audit, in one product tree, with the statuses the re-audit holds now."""
    publisher = None
    if publisher_name or publisher_namespace:
        publisher = Publisher(
            name=publisher_name or "Unknown publisher",
            namespace=publisher_namespace or "urn:assay:publisher-not-configured",
        )
    profile = "csaf_vex" if fmt == "csaf-vex" else "csaf_security_advisory"
    if not Path(assessment).exists() and SLUG.fullmatch(assessment):
        if not fmt.startswith("csaf") or vex_files:
            raise UsageError(
                "a registered product is exported as CSAF only, with the statuses it holds",
                hint="use --format csaf-vex or csaf-advisory, without --vex",
            )
        doc = _product_csaf(assessment, url, profile, publisher)
        _write(doc, out)
        return
    data = load_assessment(Path(assessment))
    statements = _statements(vex_files)
    if fmt.startswith("csaf"):
        doc = export_csaf(data, profile=profile, statements=statements, publisher=publisher)
    elif fmt == "openvex":
        doc = export_openvex(data, statements=statements, author=publisher_name)
    else:
        doc = export_cyclonedx_vex(data, statements=statements)
    _write(doc, out)


def _product_csaf(
    slug: str, url: str | None, profile: str, publisher: Publisher | None
) -> dict[str, Any]:
    from assay.accountability.advisory import product_csaf
    from assay.registry import Registry

    with Registry.open(url) as registry:
        return product_csaf(registry, slug, profile=profile, publisher=publisher)


def _write(doc: dict[str, Any], out: Path | None) -> None:
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    if out is None:
        click.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        click.echo(f"wrote {out}", err=True)


@command.command("import")
@click.argument("assessment", type=click.Path(path_type=Path))
@click.argument("vex_files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the statuses as JSON.")
def import_command(assessment: Path, vex_files: tuple[Path, ...], as_json: bool) -> None:
    """Apply VEX statements to an assessment's matches and show each match's status and why."""
    resolutions = resolve(load_assessment(assessment), _statements(vex_files))
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in resolutions], indent=2))
        return
    table = Table("vulnerability", "component", "status", "why")
    for r in resolutions:
        table.add_row(r.vulnerability, r.component, str(r.status), r.reason)
    Console(soft_wrap=True).print(table)


def problems_of(path: Path) -> tuple[str, list[str]]:
    """(format, every problem found) for a VEX/CSAF file."""
    doc = read_json(path)
    fmt = detect_format(doc)
    if fmt == "csaf":
        return fmt, csaf_problems(doc)
    if fmt == "openvex":
        return fmt, openvex_errors(doc)
    return fmt, cyclonedx_errors(doc, str(doc.get("specVersion", "1.6")))


@command.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate_command(files: tuple[Path, ...]) -> None:
    """Check VEX/CSAF files against their schema (and CSAF's mandatory tests); list problems."""
    bad = 0
    for path in files:
        fmt, problems = problems_of(path)
        if not problems:
            click.echo(f"{path}: valid {fmt}")
            continue
        bad += 1
        click.echo(f"{path}: {len(problems)} problem(s) ({fmt})")
        for line in problems:
            click.echo(f"  {line}")
    if bad:
        raise InputError(f"{bad} of {len(files)} file(s) are not valid", hint="see the list above")
