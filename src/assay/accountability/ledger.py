"""The accountability ledger: what a manufacturer promised against what it delivered.

Pure functions over ``records``; ``today`` is always an argument. The rules are written out
in docs/accountability.md; in short, for each vulnerability that ever affected one of a
product's releases:

- *exposed from* = the later of its publication and the release date of the first release
  that carries it (a vulnerability nobody knew of cannot be late);
- *fixed by* = the first release, after one that carried it, that no longer does (a later
  release that carries it again reopens it);
- *days to fix* = fixed-by release date (or today, while open) minus exposed-from;
  *late* when that exceeds the declared fix time;
- *KEV exposure* = days between the later of the KEV date and the first affected release,
  and the fix (or today), zero when fixed before it entered the catalogue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from assay.accountability.records import Product, Release, Vulnerability


@dataclass(frozen=True)
class VulnerabilityEntry:
    id: str
    published: date | None
    kev_added: date | None
    first_affected: str  # version
    exposed_from: date
    fixed_in: str  # version, "" while open
    fixed_on: date | None
    days_to_fix: int  # so far, when open
    declared_fix_days: int | None
    late: bool | None  # None when nothing was declared, or no promise covered it
    kev_exposure_days: int
    after_support_end: bool = False  # exposed only after the declared support end

    @property
    def open(self) -> bool:
        return self.fixed_on is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "published": _iso(self.published),
            "kev_added": _iso(self.kev_added),
            "first_affected": self.first_affected,
            "exposed_from": _iso(self.exposed_from),
            "fixed_in": self.fixed_in,
            "fixed_on": _iso(self.fixed_on),
            "open": self.open,
            "days_to_fix": self.days_to_fix,
            "declared_fix_days": self.declared_fix_days,
            "late": self.late,
            "after_support_end": self.after_support_end,
            "kev_exposure_days": self.kev_exposure_days,
        }


@dataclass(frozen=True)
class ProductLedger:
    product: Product
    today: date
    entries: tuple[VulnerabilityEntry, ...]

    @property
    def support_state(self) -> str:
        """supported | ended | undeclared."""
        end = self.product.support_end
        if end is None:
            return "undeclared"
        return "supported" if self.today <= end else "ended"

    @property
    def support_days_left(self) -> int | None:
        end = self.product.support_end
        return None if end is None else (end - self.today).days

    @property
    def unfixed_kev(self) -> tuple[str, ...]:
        return tuple(e.id for e in self.entries if e.open and e.kev_added is not None)

    @property
    def kev_exposure_days(self) -> int:
        return sum(e.kev_exposure_days for e in self.entries)

    @property
    def releases_after_support_end(self) -> tuple[Release, ...]:
        end = self.product.support_end
        if end is None:
            return ()
        return tuple(r for r in _ordered(self.product.releases) if r.released > end)

    @property
    def unfixed_kev_while_supported(self) -> bool:
        """Still sold or supported, and a known exploited vulnerability is not fixed."""
        active = self.product.on_sale or self.support_state == "supported"
        return active and bool(self.unfixed_kev)

    def to_dict(self) -> dict[str, Any]:
        p = self.product
        late = [e.id for e in self.entries if e.late]
        return {
            "product": p.key,
            "manufacturer": p.manufacturer,
            "name": p.name,
            "today": _iso(self.today),
            "support": {
                "end": _iso(p.support_end),
                "state": self.support_state,
                "days_left": self.support_days_left,
            },
            "declared_fix_days": p.fix_time_days,
            "on_sale": p.on_sale,
            "vulnerabilities": [e.to_dict() for e in self.entries],
            "late_fixes": late,
            "unfixed_kev": list(self.unfixed_kev),
            "unfixed_kev_while_supported": self.unfixed_kev_while_supported,
            "kev_exposure_days": self.kev_exposure_days,
            "releases_after_support_end": [
                {"version": r.version, "released": _iso(r.released)}
                for r in self.releases_after_support_end
            ],
        }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _ordered(releases: Iterable[Release]) -> list[Release]:
    return sorted(releases, key=lambda r: (r.released, r.version))


def _entry(
    vid: str, releases: list[Release], vuln: Vulnerability, product: Product, today: date
) -> VulnerabilityEntry:
    first: Release | None = None
    fixed: Release | None = None
    for release in releases:
        if vid in release.vulnerabilities:
            first = first or release
            fixed = None  # present (again): open
        elif first is not None and fixed is None:
            fixed = release
    assert first is not None
    exposed = max(d for d in (vuln.published, first.released) if d is not None)
    end = fixed.released if fixed else today
    days = max(0, (end - exposed).days)
    declared = product.fix_time_days
    # the promised fix time covers what became exposed while the product was supported
    after_end = product.support_end is not None and exposed > product.support_end
    kev_days = 0
    if vuln.kev_added is not None:
        kev_start = max(vuln.kev_added, first.released)
        kev_days = max(0, (end - kev_start).days)
    return VulnerabilityEntry(
        id=vid,
        published=vuln.published,
        kev_added=vuln.kev_added,
        first_affected=first.version,
        exposed_from=exposed,
        fixed_in=fixed.version if fixed else "",
        fixed_on=fixed.released if fixed else None,
        days_to_fix=days,
        declared_fix_days=declared,
        late=None if declared is None or after_end else days > declared,
        kev_exposure_days=kev_days,
        after_support_end=after_end,
    )


def product_ledger(
    product: Product, vulnerabilities: Mapping[str, Vulnerability], today: date
) -> ProductLedger:
    """The ledger of one product; vulnerabilities missing from ``vulnerabilities`` are kept
    with unknown dates (exposure then starts at the first affected release)."""
    releases = _ordered(product.releases)
    ids = sorted({v for r in releases for v in r.vulnerabilities})
    entries = tuple(
        _entry(vid, releases, vulnerabilities.get(vid, Vulnerability(vid)), product, today)
        for vid in ids
    )
    return ProductLedger(product, today, entries)


def manufacturer_ledger(
    products: Iterable[Product], vulnerabilities: Mapping[str, Vulnerability], today: date
) -> dict[str, Any]:
    """Per manufacturer: its products' ledgers and the totals that matter."""
    by_maker: dict[str, list[ProductLedger]] = {}
    for product in products:
        ledger = product_ledger(product, vulnerabilities, today)
        by_maker.setdefault(product.manufacturer, []).append(ledger)
    out = {}
    for maker, ledgers in sorted(by_maker.items()):
        entries = [e for lg in ledgers for e in lg.entries]
        out[maker] = {
            "products": [lg.to_dict() for lg in ledgers],
            "totals": {
                "products": len(ledgers),
                "vulnerabilities": len(entries),
                "open": sum(e.open for e in entries),
                "late": sum(bool(e.late) for e in entries),
                "kev_exposure_days": sum(lg.kev_exposure_days for lg in ledgers),
                "products_with_unfixed_kev_while_supported": [
                    lg.product.key for lg in ledgers if lg.unfixed_kev_while_supported
                ],
                "releases_after_support_end": sum(
                    len(lg.releases_after_support_end) for lg in ledgers
                ),
            },
        }
    return out
