"""``assay registry add|list|show|token``: the product registry from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from assay.cli.options import registry_option
from assay.cli.reaudit import reaudit_command, report_command, webhook_group
from assay.registry import NotFound, ProductDetail, Registry
from assay.registry.inputs import load_declaration
from assay.registry.intake import assessment_of

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


@click.group("registry")
def command() -> None:
    """Store assessed products and look them up."""


@command.command("add")
@click.argument("target", type=click.Path(path_type=Path))
@click.option(
    "--declaration",
    "declaration_file",
    type=click.Path(path_type=Path),
    default=None,
    help="The manufacturer's declaration (YAML/JSON); replaces one inside the assessment.",
)
@registry_option
@json_option
def add(target: Path, declaration_file: Path | None, url: str | None, as_json: bool) -> None:
    """Scan TARGET (an image) or read it (an assessment.json) and store it."""
    declaration = load_declaration(declaration_file) if declaration_file else None
    document = assessment_of(target, declaration_file)
    with Registry.open(url) as registry:
        stored = registry.add(document, declaration)
    if as_json:
        _print_json(stored.to_dict())
        return
    what = "new product" if stored.new_product else "product"
    click.echo(f"stored assessment {stored.assessment_id} for {what} {stored.product_slug}")


@command.command("list")
@click.argument("query", required=False, default="")
@click.option("--limit", default=50, show_default=True, help="At most this many products.")
@registry_option
@json_option
def list_(query: str, limit: int, url: str | None, as_json: bool) -> None:
    """List products (those matching every word of QUERY), newest first."""
    with Registry.open(url) as registry:
        products = registry.products(query, limit=limit)
    if as_json:
        _print_json([p.to_dict() for p in products])
        return
    if not products:
        click.echo("no products" + (f" match {query!r}" if query else " in the registry"), err=True)
        return
    for p in products:
        until = p.support_until or "undeclared"
        click.echo(
            f"{p.slug}\t{p.manufacturer} {p.name} {p.hardware_version}".rstrip()
            + f"\tlevel {p.level}\tKEV {p.kev_count}\tupdates until {until}"
        )


@command.command("show")
@click.argument("product")
@registry_option
@json_option
def show(product: str, url: str | None, as_json: bool) -> None:
    """Show one PRODUCT: its slug (as `assay registry list` prints it), or words that match
    exactly one product."""
    with Registry.open(url) as registry:
        detail = _find(registry, product)
    if as_json:
        _print_json(detail.to_dict())
        return
    s = detail.summary
    click.echo(f"{s.manufacturer} {s.name} (model {s.model} {s.hardware_version})".strip())
    click.echo(f"  security updates until: {s.support_until or 'not declared'}")
    click.echo(f"  level: {s.level}   known exploited unfixed: {s.kev_count}")
    click.echo("  firmware:")
    for f in detail.firmware:
        ids = ", ".join(str(i) for i in f.assessments)
        click.echo(f"    {f.version}  {f.file_name}  sha256 {f.sha256[:12]}  assessments {ids}")
    click.echo("  history:")
    for e in detail.history[:20]:
        click.echo(f"    {e.at}  {e.kind}: {e.detail}")


def _find(registry: Registry, product: str) -> ProductDetail:
    try:
        return registry.product(product)
    except NotFound:
        matches = registry.products(product, limit=6)
        if len(matches) == 1:
            return registry.product(matches[0].slug)
        if not matches:
            raise
        names = ", ".join(m.slug for m in matches[:5])
        raise NotFound(
            f"{len(matches) if len(matches) < 6 else 'more than 5'} products match {product!r}: "
            f"{names}",
            "give one of these slugs",
        ) from None


@command.command("token")
@click.argument("manufacturer")
@click.option("--note", default="", help="What the token is for (kept with it).")
@registry_option
def token(manufacturer: str, note: str, url: str | None) -> None:
    """Create a write token for MANUFACTURER (printed once; only its hash is stored)."""
    with Registry.open(url) as registry:
        secret = registry.create_token(manufacturer, note)
    click.echo(secret)


# the incremental re-audit, its webhooks and the CRA report records live in assay.cli.reaudit
command.add_command(reaudit_command)
command.add_command(report_command)
command.add_command(webhook_group)
