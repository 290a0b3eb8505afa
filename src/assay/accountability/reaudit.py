"""Incremental re-audit: after a feed import, re-match only the registered firmware whose
components the changed records can touch, and keep each finding's lifecycle.

1. Enroll firmware registered since the last run (``enroll``).
2. For each group of firmware at the same store revision, take the ids changed since then
   (``store.changed_since``), the names those records index (``cpe_idx``/``purl_idx``), and
   the inventories carrying those names or holding open findings on those ids.
3. Match each such inventory once (identical firmware share one), against a view of the store
   that only offers the changed records; exact, since the whole inventory is the context.
4. Reconcile: a new match is *new*; an open finding on a changed id that no longer matches is
   *withdrawn*; a withdrawn one that matches again is *reopened*; the rest are *still open*.
   A firmware of the same product registered later without the vulnerability marks it
   *fixed*; a VEX statement (not affected / fixed) marks it *suppressed* with its reason.
5. Every change is an outbox event, in the same transaction; nothing is deleted.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from assay.accountability import audit_tables as a
from assay.accountability.changed_view import CHUNK, ChangedOnly, names
from assay.accountability.enroll import (
    component_of,
    enroll,
    firmware_order,
    identity_of,
)
from assay.accountability.outbox import emit, emit_many
from assay.accountability.reaudit_report import Change, ReauditReport
from assay.accountability.suppress import suppress
from assay.model.component import Component
from assay.model.identity import Identity
from assay.model.vulnerability import VulnerabilityMatch
from assay.registry import Registry
from assay.registry import tables as t
from assay.vulns.matching import match_components
from assay.vulns.store import Store


class _Run:
    """One re-audit in one transaction. New findings and events are written in bulk at the end
    (``finish``); changes to existing findings go through the ORM with a history row."""

    def __init__(self, session: Session, store: Store, now: datetime) -> None:
        self.session, self.store, self.now = session, store, now
        self.changes: list[Change] = []
        self.names: dict[int, tuple[str, str]] = {}  # firmware id -> (product slug, version)
        self.new_rows: list[dict[str, Any]] = []
        self.inventories = 0
        self.rematched = 0
        self.match_seconds = 0.0

    def where(self, firmware_ids: Iterable[int]) -> None:
        """Load (product slug, firmware version) of these firmware, in chunks."""
        wanted = sorted(set(firmware_ids) - set(self.names))
        for i in range(0, len(wanted), CHUNK):
            rows = self.session.execute(
                select(t.Firmware.id, t.Product.slug, t.Firmware.version)
                .join(t.Product, t.Firmware.product_id == t.Product.id)
                .where(t.Firmware.id.in_(wanted[i : i + CHUNK]))
            )
            for fid, slug, version in rows:
                self.names[int(fid)] = (str(slug), str(version))

    def _change(
        self, firmware_id: int, vuln: str, component: str, change: str, kev: bool, detail: str
    ) -> None:
        if firmware_id not in self.names:
            self.where([firmware_id])
        slug, version = self.names.get(firmware_id, ("", ""))
        self.changes.append(
            Change(slug, version, firmware_id, vuln, component, change, kev, detail)
        )

    def record(self, finding: a.Finding, change: str, state: str, detail: str) -> None:
        """A change of an existing finding's state, with its history row."""
        finding.state, finding.changed, finding.detail = state, self.now, detail
        self.session.add(
            a.FindingHistory(finding_id=finding.id, at=self.now, state=state, detail=detail)
        )
        self._change(
            finding.firmware_id, finding.vuln_id, finding.component, change, finding.kev, detail
        )

    def rematch(self, firmware: list[tuple[int, int]], ids: set[str] | None) -> None:
        """Re-match these (firmware id, inventory id) against ``ids`` (None: the whole store)."""
        view = self.store if ids is None else ChangedOnly(self.store, ids)
        by_inventory: dict[int, list[int]] = defaultdict(list)
        for fid, inv in firmware:
            by_inventory[inv].append(fid)
        if isinstance(view, ChangedOnly):
            touched = sorted(view.touched)
            wanted: set[int] = set()
            for i in range(0, len(touched), CHUNK):
                part = touched[i : i + CHUNK]
                query = select(a.InventoryName.inventory_id).where(a.InventoryName.name.in_(part))
                wanted |= set(self.session.scalars(query))
            existing = self._existing_on(view.ids)
            wanted |= {inv for fid, inv in firmware if fid in existing}
            by_inventory = {k: v for k, v in by_inventory.items() if k in wanted}
        else:
            existing = self._existing_of([fid for fid, _ in firmware])
        self.where(fid for members in by_inventory.values() for fid in members)
        cache: dict[Any, list[VulnerabilityMatch]] = {}
        for inventory_id, members in by_inventory.items():
            inventory = self.session.get(a.Inventory, inventory_id)
            assert inventory is not None
            comps = [component_of(c) for c in inventory.components]
            identity = identity_of(inventory.identity)
            if isinstance(view, ChangedOnly):
                matches = self._by_component(view, comps, identity, cache)
            else:
                matches = self._match(inventory_id, comps, view, identity, cache)
            for fid in members:
                self.rematched += 1
                self._reconcile(fid, matches, ids, existing.get(fid, {}))

    def _match(
        self,
        key: Any,
        comps: list[Component],
        view: Store,
        identity: Identity,
        cache: dict[Any, list[VulnerabilityMatch]],
        keep: str = "",
    ) -> list[VulnerabilityMatch]:
        """Match once per key (``keep``: only the matches of that component ref)."""
        if key not in cache:
            clock = time.perf_counter()
            found = match_components(comps, view, identity)
            cache[key] = [m for m in found if m.component == keep] if keep else found
            self.match_seconds += time.perf_counter() - clock
            self.inventories += 1
        return cache[key]

    def _by_component(
        self,
        view: ChangedOnly,
        comps: list[Component],
        identity: Identity,
        cache: dict[Any, list[VulnerabilityMatch]],
    ) -> list[VulnerabilityMatch]:
        """The inventory's matches against the changed records, computed per component.

        A component's matches depend only on itself, the components named together with it
        in a changed record (platform criteria), the OS identity, and the hardware identity
        when such a record has hardware criteria; equal inputs share one computation.
        """
        relevant = [c for c in comps if names(c) & view.mentioned]
        os_part = replace(identity, vendor="", model="", hardware_version="", evidence=())
        hardware: Any = None
        out: list[VulnerabilityMatch] = []
        for comp in relevant:
            own = names(comp)
            together = view.partners(own)
            partners = tuple(p for p in relevant if p is not comp and names(p) & together)
            hw: Any = ()
            if view.needs_hardware(own):
                if hardware is None:
                    hardware = view.hardware_key(identity)
                hw = hardware
            key = (comp, partners, os_part, hw)
            out.extend(self._match(key, [comp, *partners], view, identity, cache, comp.ref))
        return out

    def _existing_on(self, ids: set[str]) -> dict[int, dict[tuple[str, str], a.Finding]]:
        """Findings on these vulnerability ids, by firmware."""
        out: dict[int, dict[tuple[str, str], a.Finding]] = defaultdict(dict)
        ordered = sorted(ids)
        for i in range(0, len(ordered), CHUNK):
            query = select(a.Finding).where(a.Finding.vuln_id.in_(ordered[i : i + CHUNK]))
            for f in self.session.scalars(query):
                out[f.firmware_id][(f.vuln_id, f.component)] = f
        return out

    def _existing_of(self, firmware_ids: list[int]) -> dict[int, dict[tuple[str, str], a.Finding]]:
        out: dict[int, dict[tuple[str, str], a.Finding]] = defaultdict(dict)
        for i in range(0, len(firmware_ids), CHUNK):
            query = select(a.Finding).where(a.Finding.firmware_id.in_(firmware_ids[i : i + CHUNK]))
            for f in self.session.scalars(query):
                out[f.firmware_id][(f.vuln_id, f.component)] = f
        return out

    def _reconcile(
        self,
        firmware_id: int,
        matches: Sequence[VulnerabilityMatch],
        ids: set[str] | None,
        existing: dict[tuple[str, str], a.Finding],
    ) -> None:
        seen = set()
        for m in matches:
            key = (m.id, m.component)
            if key in seen:  # two components with one ref (e.g. two copies of a library)
                continue
            seen.add(key)
            found = existing.get(key)
            reason = str(m.why.get("reason", "")) or "matched by the re-audit"
            if found is None:
                self.new_rows.append(
                    {
                        "firmware_id": firmware_id,
                        "vuln_id": m.id,
                        "component": m.component,
                        "component_name": m.component.split("/")[-1].split("@")[0],
                        "state": "open",
                        "kev": m.kev,
                        "severity": m.severity,
                        "origin": "reaudit",
                        "first_seen": self.now,
                        "last_seen": self.now,
                        "changed": self.now,
                        "detail": reason,
                    }
                )
                self._change(firmware_id, m.id, m.component, "new", m.kev, reason)
                continue
            found.last_seen, found.kev = self.now, m.kev
            if found.state == "withdrawn":
                self.record(found, "reopened", "open", reason)
        for key, finding in existing.items():
            in_scope = ids is None or key[0] in ids
            if in_scope and key not in seen and finding.state in ("open", "suppressed"):
                detail = "the feed record changed and no longer matches this component"
                self.record(finding, "withdrawn", "withdrawn", detail)

    def finish(self) -> None:
        """Write the new findings, and one outbox event per firmware and kind of change."""
        if self.new_rows:
            a.insert_rows(self.session, a.Finding, self.new_rows)
            self.new_rows = []
        grouped: dict[tuple[int, str], list[Change]] = defaultdict(list)
        for c in self.changes:
            grouped[(c.firmware_id, c.change)].append(c)
        events = [
            {
                "product": items[0].product,
                "firmware": items[0].firmware,
                "firmware_id": fid,
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
            for (fid, _change), items in grouped.items()
        ]
        emit_many(self.session, self.now, [f"finding.{k[1]}" for k in grouped], events)


def _fixed_by_later_firmware(run: _Run, product_ids: set[int]) -> None:
    session = run.session
    for firmware in firmware_order(session, product_ids).values():
        for older, newer in zip(firmware, firmware[1:], strict=False):
            carried = {
                (f.vuln_id, f.component_name)
                for f in session.scalars(
                    select(a.Finding).where(
                        a.Finding.firmware_id == newer.id, a.Finding.state != "withdrawn"
                    )
                )
            }
            for f in session.scalars(
                select(a.Finding).where(
                    a.Finding.firmware_id == older.id, a.Finding.state == "open"
                )
            ):
                if (f.vuln_id, f.component_name) not in carried:
                    run.record(f, "fixed", "fixed", f"not in firmware {newer.version}")


def reaudit(
    registry: Registry,
    store: Store,
    *,
    now: datetime | None = None,
    statements: Sequence[Any] = (),
) -> ReauditReport:
    """Run the incremental re-audit (one transaction: a failure changes nothing)."""
    started = time.perf_counter()
    moment = now or datetime.now(UTC)
    a.ensure_tables(registry.engine)
    revision = store.revision()
    with registry.sessions.begin() as session:
        run = _Run(session, store, moment)
        enrolled, products = enroll(session, moment, revision, str(store.location))
        audited = session.scalar(select(func.count()).select_from(a.AuditedFirmware)) or 0
        groups: dict[int, list[tuple[int, int]]] = defaultdict(list)
        behind = select(
            a.AuditedFirmware.firmware_id,
            a.AuditedFirmware.inventory_id,
            a.AuditedFirmware.store_revision,
        ).where(a.AuditedFirmware.store_revision < revision)
        for fid, inv, base in session.execute(behind):
            groups[int(base)].append((int(fid), int(inv)))
        changed_total: set[str] = set()
        for base, members in sorted(groups.items()):
            ids = None if base < 0 else store.changed_since(base)
            if ids is not None:
                changed_total |= ids
            run.rematch(members, ids)
            session.execute(
                update(a.AuditedFirmware)
                .where(a.AuditedFirmware.store_revision == base)
                .values(store_revision=revision)
            )
        if products:
            _fixed_by_later_firmware(run, products)
        if statements:
            suppress(run, statements)
        run.finish()
        still = session.scalar(
            select(func.count()).select_from(a.Finding).where(a.Finding.state == "open")
        )
        report = ReauditReport(
            store_revision=revision,
            changed_records=len(changed_total),
            enrolled=len(enrolled),
            firmware_audited=int(audited),
            firmware_rematched=run.rematched,
            inventories_rematched=run.inventories,
            changes=tuple(run.changes),
            still_open=int(still or 0),
            seconds=0.0,
            match_seconds=run.match_seconds,
        )
        emit(
            session,
            moment,
            "reaudit.completed",
            {k: v for k, v in report.to_dict().items() if k != "changes"},
        )
    return replace(report, seconds=time.perf_counter() - started)
