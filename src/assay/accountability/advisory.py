"""CSAF 2.0 documents of a registered product: every firmware under re-audit in one product
tree (oldest first), with the statuses the re-audit holds now.

Per firmware and vulnerability:

- a finding it carries is *known_affected* (for the component as part of that firmware); when
  a later firmware no longer carries it, the remediation says which one to update to;
- a finding a VEX statement suppressed in it is stated again as that statement said (status,
  justification, impact), so an exported VEX re-imports to the same statuses;
- a firmware that carries a vulnerability in no component while an earlier one of the
  product did is *fixed* (as a whole);
- withdrawn findings are left out (the feed no longer says they apply).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from assay.accountability import audit_tables as a
from assay.accountability.registered import with_states
from assay.accountability.states import FirmwareState, product_firmware, states_of
from assay.present.vex.csaf_export import Publisher, Version, export_versions
from assay.present.vex.model import ProductRef, Status, VexStatement
from assay.present.vex.product import ComponentRef, component_for, components_of, firmware_of
from assay.registry import Registry
from assay.registry import tables as t
from assay.registry.records import NotFound


def product_csaf(
    registry: Registry,
    slug: str,
    *,
    profile: str = "csaf_vex",
    publisher: Publisher | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The product's CSAF document (validated against the schema and the mandatory tests)."""
    versions = product_versions(registry, slug)
    return export_versions(
        versions,
        profile=profile,
        publisher=publisher,
        now=now,
        tracking_id=f"ASSAY-{slug}-{profile}"[:200],
    )


def product_versions(registry: Registry, slug: str) -> list[Version]:
    """Each audited firmware of the product as a ``Version`` of a CSAF document."""
    a.ensure_tables(registry.engine)
    with registry.sessions() as session:
        product_id = session.scalar(select(t.Product.id).where(t.Product.slug == slug))
        if product_id is None:
            raise NotFound(f"no product {slug!r} in the registry", "see `assay registry list`")
        firmware = product_firmware(session, [int(product_id)]).get(int(product_id), [])
        if not firmware:
            raise NotFound(
                f"product {slug!r} has no firmware under re-audit yet",
                "run `assay registry reaudit` (or let `assay serve` run it)",
            )
        states = states_of(session, {int(product_id): firmware})
        assessment_of = dict(
            session.execute(
                select(a.AuditedFirmware.firmware_id, a.AuditedFirmware.assessment_id).where(
                    a.AuditedFirmware.firmware_id.in_([fw.id for fw in firmware])
                )
            ).all()
        )
    versions = []
    carried_before: set[str] = set()
    for fw in firmware:
        own = [s for s in states if s.firmware.id == fw.id]
        document = with_states(
            registry.assessment(int(assessment_of[fw.id])).document,
            own,
            keep=("open", "fixed", "suppressed"),
        )
        comps, fw_purl = components_of(document), firmware_of(document).purl
        overrides = [_statement(s, comps, fw_purl) for s in own]
        carried = {s.finding.vuln_id for s in own if s.state in ("open", "fixed")}
        fixed = [
            VexStatement(
                vid,
                _firmware_ref(document),
                Status.FIXED,
                action=f"Fixed in firmware {fw.version}: it no longer carries the vulnerability.",
                source="assay",
            )
            for vid in sorted(carried_before - carried - _suppressed_ids(own))
        ]
        versions.append(Version(document, [o for o in overrides if o], fixed))
        carried_before |= carried
    return versions


def _suppressed_ids(states: list[FirmwareState]) -> set[str]:
    return {s.finding.vuln_id for s in states if s.state == "suppressed"}


def _firmware_ref(document: dict[str, Any]) -> ProductRef:
    fw = firmware_of(document)
    return ProductRef(fw.purl, fw.name, fw.purl)


def _statement(
    state: FirmwareState, components: dict[str, ComponentRef], firmware_purl: str
) -> VexStatement | None:
    """What the export states for one finding of one firmware (None: the default, affected)."""
    comp = component_for(state.finding.component, components)
    product = ProductRef(comp.iri, comp.label, comp.purl, comp.cpe, firmware_purl)
    if state.state == "suppressed":
        row = state.suppression
        return VexStatement(
            state.finding.vuln_id,
            product,
            Status(row.status or "not_affected"),
            justification=row.justification,
            impact=row.impact,
            source=row.source or "assay",
        )
    if state.fixed_by is not None:
        return VexStatement(
            state.finding.vuln_id,
            product,
            Status.AFFECTED,
            action=f"Update to firmware {state.fixed_by.version}, which no longer carries it.",
            action_category="vendor_fix",
            source="assay",
        )
    return None
