"""Suppress findings with VEX statements (not affected / fixed), keeping the reason.

A statement names a product (a firmware, or a component in any firmware), so suppression is
decided per firmware: each firmware that carries an open finding on a stated vulnerability
gets its own suppression row when the most specific statement that applies to it says not
affected or fixed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from assay.accountability import audit_tables as a
from assay.present.vex.model import Status, VexStatement
from assay.present.vex.product import component_for, components_of, firmware_of
from assay.present.vex.statements import specificity
from assay.registry import tables as t

if TYPE_CHECKING:
    from assay.accountability.reaudit import _Run


def _reason(stmt: VexStatement) -> str:
    why = f"{stmt.status} per VEX ({stmt.source or 'imported'})"
    if stmt.justification:
        why += f": {stmt.justification}"
    if stmt.impact or stmt.action:
        why += f" - {stmt.impact or stmt.action}"
    return why


def suppress(run: _Run, statements: Sequence[VexStatement]) -> None:
    """Suppress, in each firmware it applies to, every open finding a statement says is not
    affected or fixed (a finding already suppressed in a firmware stays as it is)."""
    session = run.session
    ids = {s.vulnerability.upper() for s in statements}
    ids |= {alias.upper() for s in statements for alias in s.aliases}
    findings = session.scalars(
        select(a.Finding).where(a.Finding.state == "open", a.Finding.vuln_id.in_(sorted(ids)))
    ).all()
    if not findings:
        return
    inventories = sorted({f.inventory_id for f in findings})
    firmware: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for inv, fid, assessment in session.execute(
        select(
            a.AuditedFirmware.inventory_id,
            a.AuditedFirmware.firmware_id,
            a.AuditedFirmware.assessment_id,
        ).where(a.AuditedFirmware.inventory_id.in_(inventories))
    ):
        firmware[int(inv)].append((int(fid), int(assessment)))
    done = {
        (int(fid), int(finding_id))
        for fid, finding_id in session.execute(
            select(a.FirmwareFinding.firmware_id, a.FirmwareFinding.finding_id).where(
                a.FirmwareFinding.finding_id.in_([f.id for f in findings])
            )
        )
    }
    docs: dict[int, dict[str, Any]] = {}
    for finding in findings:
        for fid, assessment in firmware.get(finding.inventory_id, ()):
            if (fid, finding.id) in done:
                continue
            if fid not in docs:
                row = session.get(t.AssessmentRow, assessment)
                docs[fid] = row.document if row is not None else {}
            doc = docs[fid]
            component = component_for(finding.component, components_of(doc))
            best: tuple[int, int, VexStatement] | None = None
            for order, stmt in enumerate(statements):
                score = specificity(
                    stmt, firmware_of(doc), component, frozenset({finding.vuln_id.upper()})
                )
                if score and (best is None or (score, order) >= best[:2]):
                    best = (score, order, stmt)
            if best is None or best[2].status not in (Status.NOT_AFFECTED, Status.FIXED):
                continue
            stmt = best[2]
            kept = {
                "status": str(stmt.status),
                "justification": stmt.justification,
                "impact": stmt.impact or stmt.action,
                "source": stmt.source,
            }
            run.record(finding, "suppressed", "suppressed", _reason(stmt), fid, kept)
