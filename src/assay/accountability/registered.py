"""Registered firmware versions as ``assay diff`` compares them.

A registered firmware is named ``SLUG@VERSION`` (the product's registry slug and the firmware
version the registry shows) or ``SLUG@sha256:HEX`` (a prefix of the image's SHA-256, when two
registered images carry the same version). Its assessment is the latest one stored, with its
vulnerabilities as the re-audit sees them now: a scan's matches go stale as the feeds change,
so for firmware under re-audit the findings it carries (open, or fixed only by a later
firmware) replace them; withdrawn and suppressed ones are left out. The registry's own rule
for "fixed by a later firmware" (``states.py``) is the diff's rule: a vulnerability in a
component of a given name that the older firmware carries and the newer does not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select

from assay.accountability import audit_tables as a
from assay.accountability.states import FirmwareState, product_states
from assay.diff import Diff, diff_assessments
from assay.errors import UsageError
from assay.registry import Registry
from assay.registry import tables as t
from assay.registry.records import NotFound


@dataclass(frozen=True)
class Registered:
    """One registered firmware, resolved from its name."""

    slug: str
    firmware_id: int
    version: str
    sha256: str
    assessment_id: int


def is_reference(text: str) -> bool:
    """Whether ``text`` has the shape of ``SLUG@VERSION`` (a path that exists wins)."""
    slug, at, rest = text.partition("@")
    return bool(at and slug and rest and "/" not in slug)


def resolve(registry: Registry, reference: str) -> Registered:
    """The registered firmware ``SLUG@VERSION`` or ``SLUG@sha256:HEX`` names."""
    slug, _, which = reference.partition("@")
    with registry.sessions() as session:
        product = session.scalar(select(t.Product).where(t.Product.slug == slug))
        if product is None:
            raise NotFound(
                f"no product {slug!r} in the registry", "list them with `assay registry list`"
            )
        rows = session.execute(
            select(t.Firmware.id, t.Firmware.version, t.Firmware.sha256)
            .where(t.Firmware.product_id == product.id)
            .order_by(t.Firmware.created, t.Firmware.id)
        ).all()
        if which.lower().startswith("sha256:"):
            prefix = which[7:].lower()
            chosen = [r for r in rows if prefix and str(r.sha256).startswith(prefix)]
        else:
            chosen = [r for r in rows if r.version == which]
        known = ", ".join(repr(r.version) for r in rows) or "none"
        if not chosen:
            raise NotFound(
                f"product {slug!r} has no registered firmware {which!r}",
                f"its firmware versions: {known}",
            )
        if len(chosen) > 1:
            shas = ", ".join(f"{slug}@sha256:{str(r.sha256)[:16]}" for r in chosen)
            raise UsageError(
                f"{len(chosen)} registered firmware of {slug!r} match {which!r}",
                f"name one by its image hash: {shas}",
            )
        row = chosen[0]
        latest = session.scalar(
            select(t.AssessmentRow.id)
            .where(t.AssessmentRow.firmware_id == row.id)
            .order_by(t.AssessmentRow.id.desc())
        )
        if latest is None:
            raise NotFound(f"firmware {reference!r} has no stored assessment", "register it again")
        return Registered(slug, int(row.id), str(row.version), str(row.sha256), int(latest))


def current_assessment(registry: Registry, firmware: Registered) -> dict[str, Any]:
    """The firmware's latest assessment, its vulnerabilities as the re-audit sees them now
    (``facts.vulnerabilities_from`` says which: ``reaudit`` or ``scan``)."""
    return current_assessments(registry, [firmware])[0]


def current_assessments(registry: Registry, firmware: Sequence[Registered]) -> list[dict[str, Any]]:
    """``current_assessment`` of each, reading each product's findings once."""
    a.ensure_tables(registry.engine)
    ids = [f.firmware_id for f in firmware]
    with registry.sessions() as session:
        audited = set(
            session.scalars(
                select(a.AuditedFirmware.firmware_id).where(a.AuditedFirmware.firmware_id.in_(ids))
            )
        )
        products = set(
            session.scalars(select(t.Firmware.product_id).where(t.Firmware.id.in_(sorted(audited))))
        )
        states: dict[int, list[FirmwareState]] = defaultdict(list)
        for state in product_states(session, products) if products else []:
            states[state.firmware.id].append(state)
    out = []
    for fw in firmware:
        document: dict[str, Any] = dict(registry.assessment(fw.assessment_id).document)
        if fw.firmware_id in audited:
            out.append(with_states(document, states[fw.firmware_id]))
        else:
            facts = {**(document.get("facts") or {}), "vulnerabilities_from": "scan"}
            out.append({**document, "facts": facts})
    return out


def with_states(
    document: dict[str, Any],
    states: Iterable[FirmwareState],
    keep: Iterable[str] = ("open", "fixed"),
) -> dict[str, Any]:
    """The assessment with its vulnerabilities replaced by the findings in these states (the
    scan's own match where it has one, else what the re-audit recorded)."""
    scanned = {
        (str(v.get("id")), str(v.get("component"))): v
        for v in document.get("vulnerabilities") or []
        if isinstance(v, dict)
    }
    wanted = set(keep)
    vulnerabilities = []
    for s in states:
        if s.state not in wanted:
            continue
        key = (s.finding.vuln_id, s.finding.component)
        vulnerabilities.append(
            scanned.get(key)
            or {
                "id": key[0],
                "component": key[1],
                "severity": s.finding.severity,
                "kev": bool(s.finding.kev),
                "why": {"reason": s.detail},
            }
        )
    facts = {**(document.get("facts") or {}), "vulnerabilities_from": "reaudit"}
    return {**document, "vulnerabilities": vulnerabilities, "facts": facts}


def diff_registered(registry: Registry, old: str, new: str) -> Diff:
    """``assay diff`` of two registered firmware (each ``SLUG@VERSION``)."""
    first, second = resolve(registry, old), resolve(registry, new)
    found = diff_assessments(*current_assessments(registry, [first, second]))
    return replace(found, old_name=first.version, new_name=second.version)
