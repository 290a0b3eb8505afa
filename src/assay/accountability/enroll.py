"""Bring registered firmware under re-audit: its inventory (shared by identical firmware),
the names feed records can touch it by, and its findings from the scan."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from assay.accountability import audit_tables as a
from assay.model.component import Component
from assay.model.identity import Identity
from assay.registry import tables as t
from assay.registry.summary import release_date
from assay.vulns.counts import counts
from assay.vulns.kernel import KernelEvidence
from assay.vulns.keys import lookup
from assay.vulns.matching import OSV_ECOSYSTEMS, settled_identity

COMPONENT_FIELDS = ("name", "version", "type", "purl", "cpe", "found_by")
IDENTITY_FIELDS = tuple(Identity.__dataclass_fields__)


def component_of(data: dict[str, Any]) -> Component:
    return Component(
        name=str(data.get("name", "")),
        version=str(data.get("version", "")),
        type=str(data.get("type") or "application"),
        purl=str(data.get("purl") or ""),
        cpe=str(data.get("cpe") or ""),
        found_by=tuple(str(f) for f in data.get("found_by") or ()),
    )


def identity_of(data: dict[str, Any]) -> Identity:
    values: dict[str, Any] = {k: str(data.get(k) or "") for k in IDENTITY_FIELDS if k != "evidence"}
    return replace(Identity(), **values)


def names_of(component: Component) -> set[str]:
    """The index names a feed record reaches this component by (the matcher's own keys)."""
    names: set[str] = set()
    lk = lookup(component)
    if lk is not None:
        names |= {f"cpe:{vendor}:{product}" for vendor, product in lk.names}
    if component.purl.startswith("pkg:"):
        try:
            from packageurl import PackageURL

            purl = PackageURL.from_string(component.purl)
        except ValueError:
            return names
        namespaced = purl.namespace and purl.type in ("maven", "golang", "npm", "composer")
        name = (f"{purl.namespace}/{purl.name}" if namespaced else purl.name).lower()
        ecosystem = OSV_ECOSYSTEMS.get(purl.type)
        if purl.type == "rpm" and purl.namespace:
            ecosystem = purl.namespace.lower()
        if ecosystem:
            names.add(f"purl:{ecosystem}:{name}")
        names.add(f"purl:purl:{purl.type}:{name}")
        names.add(f"purl:oss-fuzz:{purl.name.lower()}")
    return names


def _signature(components: list[dict[str, Any]], identity: dict[str, Any], kernel: str) -> str:
    data: dict[str, Any] = {"c": components, "i": identity}
    if kernel:  # what the image showed of its kernel decides which kernel CVEs apply
        data["k"] = kernel
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def kernel_evidence_of(document: dict[str, Any]) -> KernelEvidence | None:
    """The kernel evidence the scan recorded (``facts.kernel_evidence``), if any."""
    facts = document.get("facts") or {}
    return KernelEvidence.from_summary(facts.get("kernel_evidence"))


def inventory_for(session: Session, document: dict[str, Any], revision: int = -1) -> int:
    """The id of the inventory of this assessment (created with its name index if new).

    ``revision`` is the store revision the assessment's matches are current with (-1:
    unknown). An inventory is only as current as the oldest assessment it holds, so an
    existing one goes back to the lower revision and the re-audit reconciles it from there.
    """
    comps = sorted(
        (
            {k: c.get(k) or ("" if k != "found_by" else []) for k in COMPONENT_FIELDS}
            for c in document.get("components") or []
            if isinstance(c, dict)
        ),
        key=lambda c: json.dumps(c, sort_keys=True),
    )
    # the identity as the scan matched with it: the declaration's maker and model settle
    # hardware conditions where the image said nothing
    raw = document.get("identity")
    declared = document.get("declaration")
    settled = settled_identity(identity_of(raw if isinstance(raw, dict) else {}), declared)
    identity = {k: getattr(settled, k) for k in IDENTITY_FIELDS if k != "evidence"}
    kernel = kernel_evidence_of(document)
    sig = _signature(comps, identity, kernel.digest() if kernel else "")
    found = session.scalar(select(a.Inventory).where(a.Inventory.signature == sig))
    if found is not None:
        if revision < found.store_revision:
            found.store_revision = revision
        return int(found.id)
    inv = a.Inventory(signature=sig, components=comps, identity=identity, store_revision=revision)
    session.add(inv)
    session.flush()
    if kernel is not None:
        session.add(
            a.InventoryKernel(
                inventory_id=inv.id, digest=kernel.digest(), evidence=kernel.summary()
            )
        )
    names = set().union(*(names_of(component_of(c)) for c in comps)) if comps else set()
    session.add_all(a.InventoryName(name=n, inventory_id=inv.id) for n in sorted(names))
    return int(inv.id)


def store_revision_of(document: dict[str, Any], location: str = "") -> int | None:
    """The vulnerability store revision the scan matched against, when the scan recorded it
    and (if it says where) it is the store the re-audit uses; else None."""
    facts = document.get("facts") or {}
    store = facts.get("vulnerability_store") or {}
    if isinstance(store, dict) and "revision" in store:
        same = not location or not store.get("location") or store.get("location") == location
        value = store.get("revision") if same else None
    else:
        value = facts.get("store_revision", (facts.get("vulns") or {}).get("store_revision"))
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def latest_assessments(session: Session) -> list[tuple[int, int, int]]:
    """(firmware id, product id, latest assessment id) of every registered firmware."""
    rows = session.execute(
        select(t.AssessmentRow.firmware_id, t.Firmware.product_id, func.max(t.AssessmentRow.id))
        .join(t.Firmware, t.Firmware.id == t.AssessmentRow.firmware_id)
        .group_by(t.AssessmentRow.firmware_id, t.Firmware.product_id)
    )
    return [(int(f), int(p), int(x)) for f, p, x in rows]


def enroll(session: Session, now: datetime, location: str = "") -> tuple[list[int], set[int]]:
    """Enroll firmware not yet under re-audit (or re-assessed since).

    Returns the firmware ids enrolled and the product ids they belong to. The scan's matches
    become ``open`` findings of the firmware's inventory; an assessment that did not record
    its store revision sets the inventory to ``-1`` (matched in full once).
    """
    known = {
        int(fid): int(assessment)
        for fid, assessment in session.execute(
            select(a.AuditedFirmware.firmware_id, a.AuditedFirmware.assessment_id)
        )
    }
    enrolled, products = [], set()
    for firmware_id, product_id, assessment_id in latest_assessments(session):
        seen = known.get(firmware_id)
        if seen is not None and seen >= assessment_id:
            continue
        current = session.get(a.AuditedFirmware, firmware_id) if seen is not None else None
        document = session.get(t.AssessmentRow, assessment_id)
        assert document is not None
        doc: dict[str, Any] = document.document
        revision = store_revision_of(doc, location)
        inv = inventory_for(session, doc, -1 if revision is None else revision)
        if current is None:
            current = a.AuditedFirmware(
                firmware_id=firmware_id,
                assessment_id=assessment_id,
                inventory_id=inv,
                product_id=product_id,
                released=release_date(doc),
                enrolled=now,
            )
            session.add(current)
            record_scan_findings(session, inv, doc, now)
        else:
            before = current.inventory_id
            current.assessment_id, current.inventory_id = assessment_id, inv
            current.released = release_date(doc)
            record_scan_findings(session, inv, doc, now)
            if before != inv:
                carry_suppressions(session, firmware_id, before, inv, now)
        enrolled.append(firmware_id)
        products.add(product_id)
    session.flush()
    return enrolled, products


def record_scan_findings(
    session: Session, inventory_id: int, doc: dict[str, Any], now: datetime
) -> None:
    """The scan's matches that count (``vulns.counts``: the one rule of the label, the CRA
    clocks and the summary) become open findings of the inventory (those it already holds
    are left to the re-audit, which reconciles the inventory from its revision)."""
    session.flush()
    existing = {
        (f.vuln_id, f.component): f
        for f in session.scalars(select(a.Finding).where(a.Finding.inventory_id == inventory_id))
    }
    names = {
        str(c.get("purl") or f"{c.get('name')}@{c.get('version')}"): str(c.get("name", ""))
        for c in doc.get("components") or []
        if isinstance(c, dict)
    }
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for match in doc.get("vulnerabilities") or []:
        if not isinstance(match, dict) or not counts(match):
            continue  # not affected, unversioned, or on a platform condition: no finding
        key = (str(match.get("id", "")), str(match.get("component", "")))
        if key in existing:
            if existing[key].state == "open":
                existing[key].last_seen = now
            continue
        rows[key] = {
            "inventory_id": inventory_id,
            "vuln_id": key[0],
            "component": key[1],
            "component_name": names.get(key[1], key[1].rsplit("@", 1)[0]),
            "state": "open",
            "kev": bool(match.get("kev")),
            "severity": str(match.get("severity") or ""),
            "origin": "scan",
            "first_seen": now,
            "last_seen": now,
            "changed": now,
            "detail": "found by the scan",
        }
    if rows:
        session.execute(insert(a.Finding), list(rows.values()))


def carry_suppressions(
    session: Session, firmware_id: int, old: int, new: int, now: datetime
) -> None:
    """A re-assessed firmware whose contents changed keeps its VEX suppressions: each one
    moves to the finding of the new inventory on the same vulnerability and component (the
    old row stays, tied to the old inventory's finding)."""
    rows = session.execute(
        select(a.FirmwareFinding, a.Finding.vuln_id, a.Finding.component)
        .join(a.Finding, a.Finding.id == a.FirmwareFinding.finding_id)
        .where(a.FirmwareFinding.firmware_id == firmware_id, a.Finding.inventory_id == old)
    ).all()
    if not rows:
        return
    targets = {
        (f.vuln_id, f.component): f.id
        for f in session.scalars(select(a.Finding).where(a.Finding.inventory_id == new))
    }
    taken = set(
        session.scalars(
            select(a.FirmwareFinding.finding_id).where(a.FirmwareFinding.firmware_id == firmware_id)
        )
    )
    for kept, vuln, component in rows:
        target = targets.get((vuln, component))
        if target is None or target in taken:
            continue
        taken.add(target)
        detail = f"{kept.detail} (kept from the firmware's earlier assessment)"
        session.add(
            a.FirmwareFinding(
                firmware_id=firmware_id,
                finding_id=target,
                state=kept.state,
                changed=now,
                detail=detail,
                status=kept.status,
                justification=kept.justification,
                impact=kept.impact,
                source=kept.source,
            )
        )
        session.add(
            a.FindingHistory(
                finding_id=target, firmware_id=firmware_id, at=now, state=kept.state, detail=detail
            )
        )
