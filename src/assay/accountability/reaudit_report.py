"""What a re-audit found: each change of a finding, and the run's figures."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Change:
    product: str  # product slug
    firmware: str  # firmware version
    firmware_id: int
    vulnerability: str
    component: str
    change: str  # new | reopened | withdrawn | fixed | suppressed
    kev: bool = False
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "product": self.product,
            "firmware": self.firmware,
            "firmware_id": self.firmware_id,
            "vulnerability": self.vulnerability,
            "component": self.component,
            "change": self.change,
            "kev": self.kev,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class ReauditReport:
    store_revision: int
    changed_records: int
    enrolled: int
    firmware_audited: int  # firmware under re-audit
    firmware_rematched: int  # of which re-matched this time
    inventories_rematched: int  # distinct match computations (shared by equivalent firmware)
    changes: tuple[Change, ...]
    still_open: int
    seconds: float
    match_seconds: float = 0.0  # of which matching (the rest: reading and writing findings)

    def of(self, change: str) -> list[Change]:
        return [c for c in self.changes if c.change == change]

    def to_dict(self) -> dict[str, Any]:
        counts: dict[str, int] = defaultdict(int)
        for c in self.changes:
            counts[c.change] += 1
        return {
            "store_revision": self.store_revision,
            "changed_records": self.changed_records,
            "enrolled": self.enrolled,
            "firmware_audited": self.firmware_audited,
            "firmware_rematched": self.firmware_rematched,
            "inventories_rematched": self.inventories_rematched,
            "counts": dict(counts),
            "still_open": self.still_open,
            "seconds": round(self.seconds, 3),
            "match_seconds": round(self.match_seconds, 3),
            "changes": [c.to_dict() for c in self.changes],
        }
