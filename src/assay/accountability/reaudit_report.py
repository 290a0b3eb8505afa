"""What a re-audit found: each change of a finding with the firmware it applies to, and the
run's figures. A change of an inventory's finding applies to every firmware with that
inventory, so one ``Change`` lists all of them (``where``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Where:
    """One firmware a change applies to."""

    product: str  # product slug
    firmware: str  # firmware version
    firmware_id: int

    def to_dict(self) -> dict[str, Any]:
        return {"product": self.product, "firmware": self.firmware, "firmware_id": self.firmware_id}


@dataclass(frozen=True)
class Change:
    vulnerability: str
    component: str
    change: str  # new | reopened | withdrawn | fixed | suppressed
    kev: bool = False
    detail: str = ""
    where: tuple[Where, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "vulnerability": self.vulnerability,
            "component": self.component,
            "change": self.change,
            "kev": self.kev,
            "detail": self.detail,
            "firmware": [w.to_dict() for w in self.where],
        }


@dataclass(frozen=True)
class FirmwareChange:
    """One change in one firmware (``ReauditReport.each``)."""

    product: str
    firmware: str
    firmware_id: int
    vulnerability: str
    component: str
    change: str
    kev: bool
    detail: str


@dataclass(frozen=True)
class ReauditReport:
    store_revision: int
    changed_records: int
    enrolled: int
    firmware_audited: int  # firmware under re-audit
    firmware_rematched: int  # of which re-matched this time (their inventory was)
    inventories_rematched: int  # distinct match computations (shared by equivalent firmware)
    changes: tuple[Change, ...]
    still_open: int  # findings firmware carry: not withdrawn or suppressed
    seconds: float
    match_seconds: float = 0.0  # of which matching (the rest: reading and writing findings)

    def each(self, change: str | None = None) -> Iterator[FirmwareChange]:
        """Every change in every firmware (of one kind when ``change`` is given)."""
        for c in self.changes:
            if change is None or c.change == change:
                for w in c.where:
                    yield FirmwareChange(
                        w.product,
                        w.firmware,
                        w.firmware_id,
                        c.vulnerability,
                        c.component,
                        c.change,
                        c.kev,
                        c.detail,
                    )

    def of(self, change: str) -> list[FirmwareChange]:
        return list(self.each(change))

    def counts(self) -> dict[str, int]:
        """Findings changed, by kind of change (one per firmware the change applies to)."""
        counts: dict[str, int] = defaultdict(int)
        for c in self.changes:
            counts[c.change] += len(c.where)
        return dict(counts)

    def to_dict(self) -> dict[str, Any]:
        return {**self.summary(), "changes": [c.to_dict() for c in self.changes]}

    def summary(self) -> dict[str, Any]:
        """The run's figures without the list of changes."""
        return {
            "store_revision": self.store_revision,
            "changed_records": self.changed_records,
            "enrolled": self.enrolled,
            "firmware_audited": self.firmware_audited,
            "firmware_rematched": self.firmware_rematched,
            "inventories_rematched": self.inventories_rematched,
            "counts": self.counts(),
            "still_open": self.still_open,
            "seconds": round(self.seconds, 3),
            "match_seconds": round(self.match_seconds, 3),
        }
