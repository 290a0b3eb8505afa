"""Each firmware's findings as the lifecycle words say them, derived when read.

A firmware carries the findings of its inventory. Its state of one finding is, in order:
*withdrawn* when the feed withdrew it from the inventory; *suppressed* when a VEX statement
suppressed it in this firmware; *fixed* when a later firmware of the same product (by
release: the build date the image shows, else the registration date; then registration time)
does not carry the vulnerability in a component of the same name — fixed by the first
such firmware, at the moment it came under re-audit; else *open*. A firmware that came
under re-audit after the finding was first seen sees it from its own enrolment, and as found
by its scan.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assay.accountability import audit_tables as a
from assay.accountability.changed_view import CHUNK
from assay.registry import tables as t


@dataclass(frozen=True)
class Audited:
    """One audited firmware, in its product's order."""

    id: int
    product_id: int
    version: str
    inventory_id: int
    enrolled: datetime
    released: date  # its build date when the image shows one, else its registration date


@dataclass(frozen=True)
class FirmwareState:
    firmware: Audited
    finding: Any  # an audit_finding row
    state: str  # open | fixed | withdrawn | suppressed
    first_seen: datetime
    changed: datetime
    detail: str
    origin: str
    fixed_by: Audited | None = None
    suppression: Any = None  # the audit_firmware_finding row, when suppressed


def product_firmware(session: Session, product_ids: Iterable[int]) -> dict[int, list[Audited]]:
    """Each product's audited firmware, oldest first: by release (the build date the image
    shows, else the registration date), then registration time, then id."""
    out: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    wanted = sorted(set(product_ids))
    for i in range(0, len(wanted), CHUNK):
        rows = session.execute(
            select(
                t.Firmware.id,
                t.Firmware.product_id,
                t.Firmware.version,
                a.AuditedFirmware.inventory_id,
                a.AuditedFirmware.enrolled,
                a.AuditedFirmware.released,
                t.Firmware.created,
            )
            .join(a.AuditedFirmware, a.AuditedFirmware.firmware_id == t.Firmware.id)
            .where(t.Firmware.product_id.in_(wanted[i : i + CHUNK]))
        )
        for fid, pid, version, inv, enrolled, released, created in rows:
            fw = Audited(
                int(fid), int(pid), str(version), int(inv), enrolled, released or created.date()
            )
            out[int(pid)].append((fw.released, created, fw.id, fw))
    return {pid: [row[-1] for row in sorted(rows)] for pid, rows in out.items()}


def inventory_findings(session: Session, inventory_ids: Iterable[int]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = defaultdict(list)
    wanted = sorted(set(inventory_ids))
    for i in range(0, len(wanted), CHUNK):
        query = select(a.Finding.__table__).where(a.Finding.inventory_id.in_(wanted[i : i + CHUNK]))
        for row in session.execute(query):
            out[int(row.inventory_id)].append(row)
    return out


def suppressions(session: Session, firmware_ids: Iterable[int]) -> dict[tuple[int, int], Any]:
    """(firmware id, finding id) -> its audit_firmware_finding row."""
    out = {}
    wanted = sorted(set(firmware_ids))
    for i in range(0, len(wanted), CHUNK):
        query = select(a.FirmwareFinding.__table__).where(
            a.FirmwareFinding.firmware_id.in_(wanted[i : i + CHUNK])
        )
        for row in session.execute(query):
            out[(int(row.firmware_id), int(row.finding_id))] = row
    return out


def carried(rows: Iterable[Any]) -> set[tuple[str, str]]:
    """(vulnerability, component name) an inventory carries (withdrawn ones it does not)."""
    return {(r.vuln_id, r.component_name) for r in rows if r.state != "withdrawn"}


def firmware_states(
    firmware: Sequence[Audited],
    findings: dict[int, list[Any]],
    suppressed: dict[tuple[int, int], Any],
) -> list[FirmwareState]:
    """The state of every finding of every firmware of one product (``firmware`` in order)."""
    carries = [carried(findings.get(fw.inventory_id, ())) for fw in firmware]
    out = []
    for position, fw in enumerate(firmware):
        for row in findings.get(fw.inventory_id, ()):
            late = fw.enrolled > row.first_seen
            first = fw.enrolled if late else row.first_seen
            origin = "scan" if late else row.origin
            changed, detail, state = max(row.changed, first), row.detail, row.state
            fixed_by = override = None
            if state == "withdrawn":
                pass
            elif (override := suppressed.get((fw.id, row.id))) is not None:
                state, changed, detail = override.state, override.changed, override.detail
            else:
                key = (row.vuln_id, row.component_name)
                after = zip(firmware[position + 1 :], carries[position + 1 :], strict=True)
                for later, has in after:
                    if key not in has:
                        fixed_by = later
                        state, changed = "fixed", max(later.enrolled, first)
                        detail = f"not in firmware {later.version}"
                        break
            out.append(
                FirmwareState(fw, row, state, first, changed, detail, origin, fixed_by, override)
            )
    return out


def product_states(session: Session, product_ids: Iterable[int]) -> list[FirmwareState]:
    """The findings of every audited firmware of these products, with their states."""
    return states_of(session, product_firmware(session, product_ids))


def states_of(session: Session, by_product: dict[int, list[Audited]]) -> list[FirmwareState]:
    """The findings of these firmware (each product's in its order), with their states; the
    rows of all products are read together."""
    every = [fw for firmware in by_product.values() for fw in firmware]
    findings = inventory_findings(session, {fw.inventory_id for fw in every})
    suppressed = suppressions(session, {fw.id for fw in every})
    out = []
    for firmware in by_product.values():
        out.extend(firmware_states(firmware, findings, suppressed))
    return out
