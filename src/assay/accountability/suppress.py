"""Suppress open findings with VEX statements (not affected / fixed), keeping the reason."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select

from assay.accountability import audit_tables as a
from assay.present.vex.model import Status, VexStatement
from assay.present.vex.product import component_for, components_of, firmware_of
from assay.present.vex.statements import specificity
from assay.registry import tables as t

if TYPE_CHECKING:
    from assay.accountability.reaudit import _Run


def suppress(run: _Run, statements: Sequence[VexStatement]) -> None:
    """Mark every open finding a statement says is not affected or fixed as suppressed."""
    session = run.session
    ids = {s.vulnerability.upper() for s in statements}
    ids |= {alias.upper() for s in statements for alias in s.aliases}
    findings = session.scalars(
        select(a.Finding).where(a.Finding.state == "open", a.Finding.vuln_id.in_(sorted(ids)))
    ).all()
    docs: dict[int, dict[str, object]] = {}
    for finding in findings:
        if finding.firmware_id not in docs:
            audited = session.get(a.AuditedFirmware, finding.firmware_id)
            row = session.get(t.AssessmentRow, audited.assessment_id) if audited else None
            docs[finding.firmware_id] = row.document if row is not None else {}
        doc = docs[finding.firmware_id]
        firmware = firmware_of(doc)
        component = component_for(finding.component, components_of(doc))
        best: tuple[int, int, VexStatement] | None = None
        for order, stmt in enumerate(statements):
            score = specificity(stmt, firmware, component, frozenset({finding.vuln_id.upper()}))
            if score and (best is None or (score, order) >= best[:2]):
                best = (score, order, stmt)
        if best is None or best[2].status not in (Status.NOT_AFFECTED, Status.FIXED):
            continue
        stmt = best[2]
        why = f"{stmt.status} per VEX ({stmt.source or 'imported'})"
        if stmt.justification:
            why += f": {stmt.justification}"
        if stmt.impact or stmt.action:
            why += f" - {stmt.impact or stmt.action}"
        run.record(finding, "suppressed", "suppressed", why)
