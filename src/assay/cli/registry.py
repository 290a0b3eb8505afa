"""``assay registry add|list|show|token|trust-key|keys``: the product registry from the command
line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from assay.cli import supplier
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
    document, scanned = assessment_of(target, declaration_file)
    with Registry.open(url) as registry:
        stored = registry.add(document, declaration, scanned=scanned)
    if as_json:
        _print_json(stored.to_dict())
        return
    what = "new product" if stored.new_product else "product"
    click.echo(
        f"stored assessment {stored.assessment_id} for {what} {stored.product_slug} "
        f"({stored.provenance}, level {stored.level})"
    )


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


@command.command("search")
@click.option("--cve", default="", help="A vulnerability id (CVE-..., GHSA-...).")
@click.option("--component", default="", help="A name, or a range: 'dnsmasq<2.78'.")
@click.option("--purl", default="", help="A package URL (version optional).")
@click.option("--cpe", default="", help="A CPE 2.3 prefix.")
@click.option("--kev", is_flag=True, help="Known exploited vulnerabilities only.")
@click.option("--limit", default=50, show_default=True, help="At most this many firmware.")
@registry_option
@json_option
def search_(
    cve: str,
    component: str,
    purl: str,
    cpe: str,
    kev: bool,
    limit: int,
    url: str | None,
    as_json: bool,
) -> None:
    """Which products and firmware carry a vulnerability or a component now."""
    from assay.accountability.portfolio import Query, search

    with Registry.open(url) as registry:
        found = search(registry, Query(cve, component, purl, cpe, kev), limit=limit)
    if as_json:
        _print_json(found)
        return
    click.echo(
        f"{found['total']} firmware of {found['products']} product(s) match {found['query']}"
    )
    for hit in found["items"]:
        latest = "" if hit["latest_of_product"] else " (not the latest firmware)"
        click.echo(f"{hit['product']}\t{hit['firmware']}{latest}\t{', '.join(hit['matched'][:5])}")


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


class _TokenGroup(click.Group):
    """``token MANUFACTURER`` (as before) means ``token create MANUFACTURER``."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return "create", self.commands["create"], args
        return super().resolve_command(ctx, args)


@command.group("token", cls=_TokenGroup)
def token() -> None:
    """Manufacturers' write tokens: create, list, revoke."""


@token.command("create")
@click.argument("manufacturer")
@click.option("--note", default="", help="What the token is for (kept with it).")
@registry_option
def token_create(manufacturer: str, note: str, url: str | None) -> None:
    """Create a write token for MANUFACTURER (printed once; only its hash is stored)."""
    with Registry.open(url) as registry:
        secret = registry.create_token(manufacturer, note)
    click.echo(secret)


@token.command("list")
@click.argument("manufacturer", required=False, default="")
@registry_option
@json_option
def token_list(manufacturer: str, url: str | None, as_json: bool) -> None:
    """List tokens (numbers, manufacturers, notes; never the secrets)."""
    with Registry.open(url) as registry:
        tokens = registry.tokens(manufacturer)
    if as_json:
        _print_json([x.to_dict() for x in tokens])
        return
    for x in tokens:
        state = "revoked" if x.revoked else "active"
        click.echo(f"{x.id}\t{x.manufacturer}\t{state}\t{x.created}\t{x.note}")


@token.command("revoke")
@click.argument("token_or_number")
@registry_option
def token_revoke(token_or_number: str, url: str | None) -> None:
    """Revoke a token, given as the token itself or its number from `token list`."""
    with Registry.open(url) as registry:
        record = registry.revoke_token(token_or_number)
    click.echo(f"revoked token {record.id} of {record.manufacturer}")


@command.command("trust-key")
@click.argument("public_key")
@click.option("--name", default="", help="Whose scanner this is (kept with the key).")
@registry_option
def trust_key(public_key: str, name: str, url: str | None) -> None:
    """Trust a scanner key: PUBLIC_KEY is its .pub file or its `ed25519:...` line (from
    `assay keys list`). Assessments it signed get levels like those scanned here."""
    text = public_key
    if not public_key.startswith("ed25519:") and Path(public_key).is_file():
        text = Path(public_key).read_text(encoding="utf-8", errors="replace")
    with Registry.open(url) as registry:
        record = registry.trust_key(text, name)
    click.echo(f"trusted scanner key {record.key_id} {record.name}".rstrip())


@command.command("distrust-key")
@click.argument("key_id")
@registry_option
def distrust_key(key_id: str, url: str | None) -> None:
    """Stop trusting scanner key KEY_ID for new uploads."""
    with Registry.open(url) as registry:
        record = registry.distrust_key(key_id)
    click.echo(f"no longer trusted: scanner key {record.key_id}")


@command.command("keys")
@registry_option
@json_option
def keys(url: str | None, as_json: bool) -> None:
    """List the scanner keys this registry trusts (and those it no longer trusts)."""
    with Registry.open(url) as registry:
        records = registry.trusted_keys()
    if as_json:
        _print_json([r.to_dict() for r in records])
        return
    if not records:
        click.echo("no trusted scanner keys (see `assay registry trust-key`)", err=True)
    for r in records:
        state = "revoked" if r.revoked else "trusted"
        click.echo(f"{r.key_id}\t{state}\t{r.public_key}\t{r.name}")


# the incremental re-audit, its webhooks and the CRA report records live in assay.cli.reaudit
command.add_command(reaudit_command)
command.add_command(report_command)
command.add_command(webhook_group)
command.add_command(supplier.attach)
command.add_command(supplier.show)
