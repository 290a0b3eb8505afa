"""From an assessment to VEX statements, and imported statements back onto an assessment.

Without an imported statement, a match gets Assay's own automatic statement from its
``status`` (``assay.vulns``): ``not_affected`` with the justification and reason of Assay's
applicability analysis (a kernel CVE for another CPU architecture, a driver the image does not
build); every other match stays ``affected`` (an ``unknown`` or ``unversioned`` one keeps that
status and its reason in ``assessment.json``; the registry's re-audit still counts them as
open findings, so the exports agree with it). A match a statement suppressed at scan time
(``assay scan --vex``, ``suppressed`` in ``assessment.json``) keeps that statement.
Imported statements (the manufacturer's) win over the automatic ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from assay.present.vex.model import ProductRef, Status, VexStatement
from assay.present.vex.product import (
    ComponentRef,
    Firmware,
    component_for,
    components_of,
    firmware_of,
    normalize_purl,
)


@dataclass(frozen=True)
class Resolution:
    """The status of one vulnerability match after VEX, and why."""

    vulnerability: str
    component: str  # the assessment's component ref
    status: Status
    statement: VexStatement | None  # None: no statement applied, the match stands
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "vulnerability": self.vulnerability,
            "component": self.component,
            "status": str(self.status),
            "statement": self.statement.to_dict() if self.statement else None,
            "reason": self.reason,
        }


def _vuln_ids(match: dict[str, Any]) -> frozenset[str]:
    ids = {str(match.get("id", ""))} | {str(a) for a in match.get("aliases") or []}
    return frozenset(i.upper() for i in ids if i)


def _statement_keys(product: ProductRef) -> set[str]:
    keys = {product.key, product.name, product.purl, product.cpe, normalize_purl(product.purl)}
    keys.add(normalize_purl(product.key))
    return {k for k in keys if k}


def specificity(
    statement: VexStatement, firmware: Firmware, component: ComponentRef, ids: frozenset[str]
) -> int:
    """How closely a statement fits one match: 0 = not at all, 3 = component in this firmware."""
    names = {statement.vulnerability.upper(), *(a.upper() for a in statement.aliases)}
    if not names & ids:
        return 0
    keys = _statement_keys(statement.product)
    parent = statement.product.parent
    if keys & component.keys:
        if not parent:
            return 2
        parent_keys = {parent, normalize_purl(parent)}
        return 3 if parent_keys & firmware.keys else 0
    if keys & firmware.keys and not parent:
        return 1
    return 0


def resolve(assessment: dict[str, Any], statements: Sequence[VexStatement]) -> list[Resolution]:
    """Every vulnerability match with the status the best-fitting statement gives it."""
    firmware = firmware_of(assessment)
    known = components_of(assessment)
    by_vuln: dict[str, list[tuple[int, VexStatement]]] = {}
    for order, statement in enumerate(statements):
        for name in {statement.vulnerability, *statement.aliases}:
            by_vuln.setdefault(name.upper(), []).append((order, statement))
    out = []
    for match in assessment.get("vulnerabilities") or []:
        component = component_for(str(match.get("component", "")), known)
        ids = _vuln_ids(match)
        candidates = sorted({c for i in ids for c in by_vuln.get(i, [])}, key=lambda c: c[0])
        best: tuple[int, int, VexStatement] | None = None
        for order, statement in candidates:
            score = specificity(statement, firmware, component, ids)
            if score and (best is None or (score, order) >= best[:2]):
                best = (score, order, statement)
        vid = str(match.get("id", ""))
        if best is None:
            auto = automatic_statement(match)
            if auto is not None:
                out.append(Resolution(vid, component.ref, auto.status, auto, auto.impact))
                continue
            reason = "matched by the vulnerability scan; no VEX statement covers it"
            out.append(Resolution(vid, component.ref, Status.AFFECTED, None, reason))
            continue
        statement = best[2]
        reason = f"VEX statement from {statement.source or 'an imported document'}"
        if statement.justification:
            reason += f": {statement.justification}"
        if statement.impact:
            reason += f" ({statement.impact})"
        out.append(Resolution(vid, component.ref, statement.status, statement, reason))
    return out


def assessment_statements(
    assessment: dict[str, Any], overrides: Iterable[VexStatement] = ()
) -> list[VexStatement]:
    """One statement per vulnerability match, for export: affected unless a statement says not.

    The product of each statement is the component as part of the firmware.
    """
    firmware = firmware_of(assessment)
    known = components_of(assessment)
    resolved = resolve(assessment, list(overrides))
    by_key = {(m.get("id"), m.get("component")): m for m in assessment.get("vulnerabilities") or []}
    out = []
    for res in resolved:
        match = by_key.get((res.vulnerability, res.component), {})
        component = component_for(res.component, known)
        product = ProductRef(
            key=component.iri,
            name=component.label,
            purl=component.purl,
            cpe=component.cpe,
            parent=firmware.purl,
        )
        aliases = tuple(str(a) for a in match.get("aliases") or [])
        if res.statement is not None:
            out.append(
                replace(
                    res.statement, vulnerability=res.vulnerability, product=product, aliases=aliases
                )
            )
        else:
            action = default_action(component, match)
            out.append(
                VexStatement(
                    res.vulnerability,
                    product,
                    Status.AFFECTED,
                    action=action,
                    aliases=aliases,
                    source="assay",
                )
            )
    return out


SUPPRESS = ("not_affected", "fixed")


def automatic_statement(match: dict[str, Any]) -> VexStatement | None:
    """Assay's own statement for a match its analysis settled as not affected, or the VEX
    statement ``assay scan --vex`` applied to it (else None: an ignore entry is a local
    decision, not a statement). The product is filled in by the caller."""
    status = str(match.get("status") or "affected")
    why = match.get("why") or {}
    applicability = why.get("applicability") or {}
    vid, product = str(match.get("id", "")), ProductRef(key=str(match.get("component", "")))
    given = match.get("suppressed") or {}
    if isinstance(given, dict) and given.get("by") == "vex" and given.get("status") in SUPPRESS:
        # a statement given at scan time (assay scan --vex): exported as it was given
        said, reason = Status(given["status"]), str(given.get("reason") or "")
        return VexStatement(
            vid,
            product,
            said,
            justification=str(given.get("justification") or ""),
            impact=reason if said == Status.NOT_AFFECTED else "",
            action=reason if said == Status.FIXED else "",
            source=str(given.get("source") or ""),
            original_justification=str(given.get("original_justification") or ""),
        )
    if status == "not_affected":
        return VexStatement(
            vid,
            product,
            Status.NOT_AFFECTED,
            justification=str(applicability.get("justification") or ""),
            impact=f"Assay's automatic analysis: {applicability.get('reason', '')}",
            source="assay",
        )
    return None


def default_action(component: ComponentRef, match: dict[str, Any]) -> str:
    why = match.get("why") or {}
    fixed = (match.get("fixed_in") or {}).get("version") or why.get("fixed")
    if isinstance(fixed, str) and fixed:
        return f"Update {component.name} to {fixed} or later in a new firmware release."
    return (
        f"Update {component.name} to a version outside the affected range and release new "
        "firmware; until then, limit network exposure of the affected service."
    )
