"""From changes of findings to changes per firmware, and to outbox events.

The re-audit changes an inventory's findings once; every firmware with that inventory sees
the change. Here the changes collected during a run are joined, at the end, with the
firmware they apply to (one query per 500 inventories), and written as one outbox event per
inventory (or firmware) and kind of change, listing the firmware and the findings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assay.accountability import audit_tables as a
from assay.accountability.changed_view import CHUNK
from assay.accountability.outbox import emit_many
from assay.accountability.reaudit_report import Change, Where
from assay.registry import tables as t

Key = tuple[str, int]  # ("inventory", id) or ("firmware", id)


class Fanout:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.pending: list[tuple[Key, str, str, str, bool, str]] = []

    def add(
        self, key: Key, vulnerability: str, component: str, change: str, kev: bool, detail: str
    ) -> None:
        self.pending.append((key, vulnerability, component, change, kev, detail))

    def firmware_count(self, inventories: Iterable[int]) -> int:
        """How many audited firmware have one of these inventories."""
        wanted, total = sorted(set(inventories)), 0
        for i in range(0, len(wanted), CHUNK):
            total += int(
                self.session.scalar(
                    select(func.count())
                    .select_from(a.AuditedFirmware)
                    .where(a.AuditedFirmware.inventory_id.in_(wanted[i : i + CHUNK]))
                )
                or 0
            )
        return total

    def _where(self) -> dict[Key, tuple[Where, ...]]:
        """The firmware each key stands for, in firmware id order."""
        found: dict[Key, list[Where]] = defaultdict(list)
        for kind, column in (
            ("inventory", a.AuditedFirmware.inventory_id),
            ("firmware", a.AuditedFirmware.firmware_id),
        ):
            wanted = sorted({k[1] for k, *_ in self.pending if k[0] == kind})
            for i in range(0, len(wanted), CHUNK):
                rows = self.session.execute(
                    select(column, t.Firmware.id, t.Product.slug, t.Firmware.version)
                    .join(t.Firmware, t.Firmware.id == a.AuditedFirmware.firmware_id)
                    .join(t.Product, t.Product.id == t.Firmware.product_id)
                    .where(column.in_(wanted[i : i + CHUNK]))
                    .order_by(t.Firmware.id)
                )
                for key, fid, slug, version in rows:
                    found[(kind, int(key))].append(Where(str(slug), str(version), int(fid)))
        return {k: tuple(v) for k, v in found.items()}

    def emit(self, now: datetime) -> tuple[Change, ...]:
        """The run's changes with their firmware; one outbox event per key and kind."""
        where = self._where()
        changes: list[Change] = []
        grouped: dict[tuple[Key, str], list[Change]] = defaultdict(list)
        for key, vulnerability, component, change, kev, detail in self.pending:
            firmware = where.get(key, ())
            if not firmware:  # an inventory no audited firmware has any more
                continue
            item = Change(vulnerability, component, change, kev, detail, firmware)
            changes.append(item)
            grouped[(key, change)].append(item)
        self.pending = []
        payloads: list[dict[str, Any]] = [
            {
                "firmware": [w.to_dict() for w in items[0].where],
                "findings": [
                    {
                        "vulnerability": c.vulnerability,
                        "component": c.component,
                        "kev": c.kev,
                        "detail": c.detail,
                    }
                    for c in items
                ],
            }
            for items in grouped.values()
        ]
        emit_many(self.session, now, [f"finding.{k[1]}" for k in grouped], payloads)
        return tuple(changes)
