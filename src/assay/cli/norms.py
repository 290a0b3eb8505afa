"""``assay norms list|show``: the norms catalogue (EN 303 645, CRA, PSTI, NIST IR 8425)."""

from __future__ import annotations

import click

from assay.errors import UsageError
from assay.norms.catalog import Catalog, Requirement, load_catalog
from assay.norms.expr import render


@click.group("norms")
def command() -> None:
    """The norms catalogue: requirements, what decides them, how to fix."""


@command.command("list")
@click.option(
    "--norm", "norm", default=None, help="Only this norm (en303645, cra, psti, nistir8425)."
)
def list_command(norm: str | None) -> None:
    """List requirements: id, status, how verified, title."""
    catalog = load_catalog()
    keys = [n.key for n in catalog.norms]
    if norm is not None and norm not in keys:
        raise UsageError(f"unknown norm {norm!r}", hint=f"use one of {', '.join(keys)}")
    for n in catalog.norms:
        if norm not in (None, n.key):
            continue
        click.echo(f"{n.name} ({n.version}): {len(n.requirements)} requirements")
        for req in n.requirements:
            status = req.status + (f" ({req.strength})" if req.strength else "")
            verify = "/".join(req.verify)
            click.echo(f"  {req.uid:<22} {status:<26} {verify:<28} {req.title}")


@command.command("show")
@click.argument("requirement_id")
def show_command(requirement_id: str) -> None:
    """Show one requirement (e.g. en303645:5.1-1, or 5.1-1 when unambiguous)."""
    catalog = load_catalog()
    req = find(catalog, requirement_id)
    norm = catalog.norm(req.norm)
    lines = [
        f"{req.uid}  {req.title}",
        f"norm:       {norm.name}, {norm.version}",
        f"status:     {req.status}"
        + (f" (when it applies: {req.strength})" if req.strength else ""),
    ]
    if req.v2_status or req.v3_status:
        v3_ids = f" as {', '.join(req.v3_ids)}" if req.v3_ids else ""
        lines.append(
            f"versions:   V2.1.1 {req.v2_status or '-'}; V3.1.3 {req.v3_status or '-'}{v3_ids}"
        )
    lines += [
        f"verified by: {', '.join(req.verify)}",
        f"summary:    {req.summary}",
    ]
    if req.applies_if is not None:
        lines.append(f"applies if: {render(req.applies_if)}")
    lines.append(f"decided by: {render(req.decided_by)}")
    related = catalog.related(req.uid)
    if related:
        lines.append(f"crosswalk:  {', '.join(related)}")
    if req.note:
        lines.append(f"note:       {req.note}")
    lines += [f"guidance:   {req.guidance}", f"source:     {norm.url}"]
    click.echo("\n".join(lines))


def find(catalog: Catalog, requirement_id: str) -> Requirement:
    """A requirement by uid (``norm:id``) or by bare id when only one norm has it."""
    wanted = requirement_id.strip()
    matches = [r for r in catalog.requirements() if wanted in (r.uid, r.id)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        options = ", ".join(r.uid for r in matches)
        raise UsageError(f"{wanted!r} is ambiguous: {options}", hint="give the norm:id form")
    raise UsageError(f"no requirement {wanted!r}", hint="see `assay norms list` for the ids")
