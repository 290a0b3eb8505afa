"""Incremental re-audit: after a feed import, re-match only the registered firmware whose
components the changed records can touch, and keep each finding's lifecycle.

1. Enroll firmware registered since the last run (``enroll``).
2. For each group of inventories at the same store revision, take the ids changed since then
   (``store.changed_since``), the names those records index (``cpe_idx``/``purl_idx``), and
   the inventories carrying those names or holding findings on those ids.
3. Match each such inventory once (identical firmware share one), against a view of the store
   that only offers the changed records; exact, since the whole inventory is the context.
4. Reconcile the inventory's findings: a new match is *new*; an open finding on a changed id
   that no longer matches is *withdrawn*; a withdrawn one that matches again is *reopened*;
   the rest are *still open*. A firmware of the same product registered later without the
   vulnerability makes it *fixed* (derived, see ``states.py``); a VEX statement (not affected
   / fixed) makes it *suppressed* in the firmware it names, with its reason.
5. Every change is an outbox event, in the same transaction; nothing is deleted. A change of
   an inventory's finding is one event listing every firmware with that inventory.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from assay.accountability import audit_tables as a
from assay.accountability.changed_view import CHUNK, ChangedOnly, names
from assay.accountability.enroll import component_of, enroll, identity_of
from assay.accountability.fanout import Fanout
from assay.accountability.outbox import emit
from assay.accountability.reaudit_report import ReauditReport
from assay.accountability.states import product_states
from assay.accountability.suppress import suppress
from assay.model.component import Component
from assay.model.identity import Identity
from assay.model.vulnerability import VulnerabilityMatch
from assay.registry import Registry
from assay.vulns.counts import counts, why_not
from assay.vulns.kernel import KernelEvidence
from assay.vulns.layers import snapshot_fallback
from assay.vulns.matching import match_components
from assay.vulns.store import Store

Kernel = tuple[str, KernelEvidence | None]  # (digest, evidence) of an inventory's kernel
KERNEL_NAME = "cpe:linux:linux_kernel"


class _Run:
    """One re-audit in one transaction. New findings are written in bulk (``write``); changes
    to existing findings go through the ORM with a history row; ``fanout`` turns the changes
    into per-firmware changes and events."""

    def __init__(self, session: Session, store: Store, now: datetime) -> None:
        self.session, self.store, self.now = session, store, now
        self.fanout = Fanout(session)
        self.new_rows: list[dict[str, Any]] = []
        self.inventories = 0
        self.rematched: set[int] = set()
        self.match_seconds = 0.0
        self.fallback = snapshot_fallback(store)

    def record(
        self,
        finding: a.Finding,
        change: str,
        state: str,
        detail: str,
        firmware_id: int = 0,
        statement: dict[str, str] | None = None,
    ) -> None:
        """A change of a finding's state (in one firmware only when ``firmware_id`` is
        given, with the VEX ``statement`` fields that caused it), with its history row."""
        if firmware_id:
            self.session.add(
                a.FirmwareFinding(
                    firmware_id=firmware_id,
                    finding_id=finding.id,
                    state=state,
                    changed=self.now,
                    detail=detail,
                    **(statement or {}),
                )
            )
        else:
            finding.state, finding.changed, finding.detail = state, self.now, detail
        self.session.add(
            a.FindingHistory(
                finding_id=finding.id,
                firmware_id=firmware_id or None,
                at=self.now,
                state=state,
                detail=detail,
            )
        )
        key = ("firmware", firmware_id) if firmware_id else ("inventory", finding.inventory_id)
        self.fanout.add(key, finding.vuln_id, finding.component, change, finding.kev, detail)

    def rematch(self, inventories: list[int], ids: set[str] | None) -> None:
        """Re-match these inventories against ``ids`` (None: the whole store)."""
        view = self.store if ids is None else ChangedOnly(self.store, ids)
        wanted = set(inventories)
        if isinstance(view, ChangedOnly):
            touched = sorted(view.touched)
            reached: set[int] = set()
            for i in range(0, len(touched), CHUNK):
                part = touched[i : i + CHUNK]
                query = select(a.InventoryName.inventory_id).where(a.InventoryName.name.in_(part))
                reached |= set(self.session.scalars(query))
            existing = self._existing(a.Finding.vuln_id, sorted(view.ids), wanted)
            wanted &= reached | set(existing)
        else:
            existing = self._existing(a.Finding.inventory_id, sorted(wanted), wanted)
        cache: dict[Any, list[VulnerabilityMatch]] = {}
        mentioned: dict[Component, bool] = {}  # does a changed record mention it?
        for inventory_id, comps, identity, kernel in self._inventories(sorted(wanted)):
            if isinstance(view, ChangedOnly):
                for c in comps:
                    if c not in mentioned:
                        mentioned[c] = bool(names(c) & view.mentioned)
                relevant = [c for c in comps if mentioned[c]]
                matches = self._by_component(view, relevant, identity, kernel, cache)
            else:
                key = (inventory_id,)
                matches = self._match(key, comps, view, identity, kernel, cache)
            self.rematched.add(inventory_id)
            # the one rule of the scan's summary, the label and the CRA clocks
            reasons = {(m.id, m.component): why_not(m) for m in matches if not counts(m)}
            kept = [m for m in matches if counts(m)]
            self._reconcile(inventory_id, kept, ids, existing.get(inventory_id, {}), reasons)

    def _inventories(
        self, wanted: list[int]
    ) -> Iterator[tuple[int, list[Component], Identity, Kernel]]:
        """Each inventory's components, identity and kernel evidence, read in chunks; the
        many inventories that share a component (or kernel evidence) share one object."""
        made: dict[tuple[Any, ...], Component] = {}
        kernels: dict[str, KernelEvidence | None] = {}
        for i in range(0, len(wanted), CHUNK):
            rows = self.session.execute(
                select(
                    a.Inventory.id,
                    a.Inventory.components,
                    a.Inventory.identity,
                    a.InventoryKernel.digest,
                    a.InventoryKernel.evidence,
                )
                .outerjoin(a.InventoryKernel, a.InventoryKernel.inventory_id == a.Inventory.id)
                .where(a.Inventory.id.in_(wanted[i : i + CHUNK]))
            )
            for inventory_id, components, identity, digest, evidence in rows:
                comps = []
                for data in components:
                    key = tuple((k, str(v)) for k, v in data.items())
                    if key not in made:
                        made[key] = component_of(data)
                    comps.append(made[key])
                if digest and digest not in kernels:
                    kernels[digest] = KernelEvidence.from_summary(evidence)
                kernel = (digest, kernels[digest]) if digest else ("", None)
                yield int(inventory_id), comps, identity_of(identity), kernel

    def _match(
        self,
        key: Any,
        comps: list[Component],
        view: Store,
        identity: Identity,
        kernel: Kernel,
        cache: dict[Any, list[VulnerabilityMatch]],
        keep: str = "",
    ) -> list[VulnerabilityMatch]:
        """Match once per key (``keep``: only the matches of that component ref). A full
        re-match keeps the bundled snapshot under the store, as the scan does; a changed-
        records view needs no such fallback (the changed records are the store's own)."""
        if key not in cache:
            clock = time.perf_counter()
            lower = None if isinstance(view, ChangedOnly) else self.fallback
            found = match_components(comps, view, identity, kernel[1], lower)
            cache[key] = [m for m in found if m.component == keep] if keep else found
            self.match_seconds += time.perf_counter() - clock
            self.inventories += 1
        return cache[key]

    def _by_component(
        self,
        view: ChangedOnly,
        comps: list[Component],
        identity: Identity,
        kernel: Kernel,
        cache: dict[Any, list[VulnerabilityMatch]],
    ) -> list[VulnerabilityMatch]:
        """The inventory's matches against the changed records, computed per component.

        A component's matches depend only on itself, the components named together with it
        in a changed record (platform criteria), the OS identity, and the hardware identity
        when such a record has hardware criteria; equal inputs share one computation.
        """
        relevant = comps  # the caller kept those a changed record mentions
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
            # the kernel's matches also depend on what the image showed of its kernel
            shown = kernel[0] if KERNEL_NAME in own else ""
            key = (comp, partners, os_part, hw, shown)
            group = [comp, *partners]
            out.extend(self._match(key, group, view, identity, kernel, cache, comp.ref))
        return out

    def _existing(
        self, column: Any, values: list[Any], inventories: set[int]
    ) -> dict[int, dict[tuple[str, str], a.Finding]]:
        """Findings whose ``column`` is one of ``values``, of these inventories."""
        out: dict[int, dict[tuple[str, str], a.Finding]] = defaultdict(dict)
        for i in range(0, len(values), CHUNK):
            query = select(a.Finding).where(column.in_(values[i : i + CHUNK]))
            for f in self.session.scalars(query):
                if f.inventory_id in inventories:
                    out[f.inventory_id][(f.vuln_id, f.component)] = f
        return out

    def _reconcile(
        self,
        inventory_id: int,
        matches: Iterable[VulnerabilityMatch],
        ids: set[str] | None,
        existing: dict[tuple[str, str], a.Finding],
        reasons: dict[tuple[str, str], str],
    ) -> None:
        """``matches``: those that count; ``reasons``: why the others do not."""
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
                        "inventory_id": inventory_id,
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
                where = ("inventory", inventory_id)
                self.fanout.add(where, m.id, m.component, "new", m.kev, reason)
                continue
            found.last_seen, found.kev = self.now, m.kev
            if found.state == "withdrawn":
                self.record(found, "reopened", "open", reason)
        for key, finding in existing.items():
            in_scope = ids is None or key[0] in ids
            if in_scope and key not in seen and finding.state == "open":
                detail = "the feed record changed and no longer matches this component"
                if key in reasons:
                    detail = f"it no longer counts: {reasons[key]}"
                self.record(finding, "withdrawn", "withdrawn", detail)

    def write(self) -> None:
        """Write the new findings."""
        if self.new_rows:
            a.insert_rows(self.session, a.Finding, self.new_rows)
            self.new_rows = []


def _fixed_by_enrolled(run: _Run, enrolled: set[int], product_ids: set[int]) -> None:
    """A finding of an earlier firmware that a firmware enrolled now no longer carries is
    fixed by it (the state is derived when read; this reports the change)."""
    for state in product_states(run.session, product_ids):
        if state.fixed_by is not None and state.fixed_by.id in enrolled:
            row = state.finding
            run.fanout.add(
                ("firmware", state.firmware.id),
                row.vuln_id,
                row.component,
                "fixed",
                bool(row.kev),
                state.detail,
            )


def _still_open(session: Session) -> int:
    """Findings the audited firmware carry, less the withdrawn and the suppressed ones."""
    carried = (
        select(func.count())
        .select_from(a.AuditedFirmware)
        .join(a.Finding, a.Finding.inventory_id == a.AuditedFirmware.inventory_id)
        .where(a.Finding.state == "open")
    )
    suppressed = (
        select(func.count())
        .select_from(a.FirmwareFinding)
        .join(a.Finding, a.Finding.id == a.FirmwareFinding.finding_id)
        .join(
            a.AuditedFirmware,
            and_(
                a.AuditedFirmware.firmware_id == a.FirmwareFinding.firmware_id,
                a.AuditedFirmware.inventory_id == a.Finding.inventory_id,
            ),
        )
        .where(a.Finding.state == "open", a.FirmwareFinding.state == "suppressed")
    )
    return int(session.scalar(carried) or 0) - int(session.scalar(suppressed) or 0)


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
        enrolled, products = enroll(session, moment, str(store.location))
        audited = session.scalar(select(func.count()).select_from(a.AuditedFirmware)) or 0
        groups: dict[int, list[int]] = defaultdict(list)
        behind = (
            select(a.Inventory.id, a.Inventory.store_revision)
            .where(a.Inventory.store_revision < revision)
            .where(a.Inventory.id.in_(select(a.AuditedFirmware.inventory_id)))
        )
        for inv, base in session.execute(behind):
            groups[int(base)].append(int(inv))
        changed_total: set[str] = set()
        for base, members in sorted(groups.items()):
            ids = None if base < 0 else store.changed_since(base)
            if ids is not None:
                changed_total |= ids
            run.rematch(members, ids)
            for i in range(0, len(members), CHUNK):
                session.execute(
                    update(a.Inventory)
                    .where(a.Inventory.id.in_(members[i : i + CHUNK]))
                    .values(store_revision=revision)
                )
        run.write()
        if products:
            _fixed_by_enrolled(run, set(enrolled), products)
        if statements:
            suppress(run, statements)
        changes = run.fanout.emit(moment)
        report = ReauditReport(
            store_revision=revision,
            changed_records=len(changed_total),
            enrolled=len(enrolled),
            firmware_audited=int(audited),
            firmware_rematched=run.fanout.firmware_count(run.rematched),
            inventories_rematched=run.inventories,
            changes=changes,
            still_open=_still_open(session),
            seconds=0.0,
            match_seconds=run.match_seconds,
        )
        emit(
            session,
            moment,
            "reaudit.completed",
            report.summary(),
        )
    return replace(report, seconds=time.perf_counter() - started)
