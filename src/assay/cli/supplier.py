"""``assay registry attach-sbom PRODUCT SBOM`` and ``assay registry supplier-sbom PRODUCT``: a
supplier's SBOM kept with the product, compared with its firmware's assessment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from assay.cli.options import registry_option
from assay.errors import EXIT_FINDINGS, EXIT_OK, InputError
from assay.registry import Registry

firmware_option = click.option(
    "--firmware",
    default="",
    help="A registered firmware version or sha256:PREFIX (default: the latest assessed).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


@click.command("attach-sbom")
@click.argument("product")
@click.argument("sbom", type=click.Path(path_type=Path))
@firmware_option
@registry_option
@json_option
@click.pass_context
def attach(
    ctx: click.Context, product: str, sbom: Path, firmware: str, url: str | None, as_json: bool
) -> None:
    """Keep a supplier's SBOM with PRODUCT (its slug) and compare it with the firmware's
    assessment. Exit 0 when the SBOM meets the CRA SBOM requirement, 1 when not."""
    try:
        data = sbom.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read SBOM {sbom}: {err.strerror}", "check the path") from err
    with Registry.open(url) as registry:
        found = registry.attach_supplier_sbom(product, data, sbom.name, firmware)
    _show(found, as_json)
    ctx.exit(_code(found))


@click.command("supplier-sbom")
@click.argument("product")
@firmware_option
@registry_option
@json_option
@click.pass_context
def show(ctx: click.Context, product: str, firmware: str, url: str | None, as_json: bool) -> None:
    """Show the supplier's SBOM of PRODUCT's firmware and how it compares."""
    with Registry.open(url) as registry:
        found = registry.supplier_sbom(product, firmware)
    if found is None:
        raise InputError(
            f"no supplier SBOM is attached to {product!r}", "attach one: assay registry attach-sbom"
        )
    _show(found, as_json)
    ctx.exit(_code(found))


def _code(found: dict[str, Any]) -> int:
    comparison = found.get("comparison") or {}
    return EXIT_OK if comparison.get("requirement", {}).get("verdict") == "PASS" else EXIT_FINDINGS


def _show(found: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    fw = found["firmware"]
    click.echo(
        f"{found['product']} firmware {fw['version']}: {found['file_name']} ({found['format']})"
    )
    c = found.get("comparison")
    if not c:
        click.echo("  not compared: the firmware has no assessment yet")
        return
    fidelity = "n/a" if c["fidelity"] is None else f"{c['fidelity']:.3f}"
    click.echo(f"  {c['verdict']}, fidelity {fidelity} ({c['correct']} of {c['measured']})")
    counts = ", ".join(f"{n} {kind}" for kind, n in c["counts"].items() if n)
    click.echo(f"  mismatches: {counts or 'none'}")
    for m in c["mismatches"][:20]:
        said = f"SBOM {m['declared'] or '-'}, firmware {m['measured'] or '-'}"
        click.echo(f"    {m['kind']}: {m['name']} ({said})")
    req = c["requirement"]
    click.echo(f"  {req['id']}: {req['verdict']}: {'; '.join(req['reasons'])}")
