"""The facts the ledger reads (the registry provides them; tests build them by hand)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Release:
    """One registered firmware version and the vulnerabilities matched in it."""

    version: str
    released: date
    vulnerabilities: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Product:
    """One product with what its manufacturer declared and the firmware it released."""

    key: str  # registry key, e.g. "tp-link/tl-wr703n/v1"
    manufacturer: str
    name: str
    support_end: date | None = None  # declared end of security support
    fix_time_days: int | None = None  # declared time to fix a vulnerability
    on_sale: bool = True
    releases: tuple[Release, ...] = ()


@dataclass(frozen=True)
class Vulnerability:
    """Dates of one vulnerability from the feeds."""

    id: str
    published: date | None = None
    kev_added: date | None = None  # date it entered CISA's KEV catalogue
