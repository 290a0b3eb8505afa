"""Build the ledger's records from the registry, the re-audit findings and the store.

Rules (see docs/accountability.md): a firmware's release date is the build date its image
shows (the kernel banner's build time, ``enroll.release_date``), else its registration date;
the vulnerabilities of a release are its findings that are not withdrawn or suppressed (for
firmware not yet under re-audit, its assessment's matches);
support end, fix time and "on sale" come from the product's latest declaration. A fixed
finding still counts in the release that carries it (that release is still vulnerable).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import BindParameter, bindparam, func, select

from assay.accountability import audit_tables as a
from assay.accountability.changed_view import CHUNK
from assay.accountability.ledger import manufacturer_ledger
from assay.accountability.records import Product, Release, Vulnerability
from assay.accountability.states import product_states
from assay.present.label.declaration import support_until
from assay.registry import Registry
from assay.registry import tables as t
from assay.vulns.layers import kev_entries, publication_texts
from assay.vulns.store import Store


def _declared(content: dict[str, Any] | None, *paths: str) -> Any:
    for path in paths:
        value: Any = content
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:
            return value
    return None


def _date(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def registry_products(
    registry: Registry, manufacturer: str | None = None, slug: str | None = None
) -> list[Product]:
    """The registry's products (of one manufacturer, or the one with ``slug``) as records.
    Declarations, firmware, release dates and vulnerabilities are read for all the products
    together (a few queries however many products and firmware: the product page asks for
    its ledger on every request)."""
    a.ensure_tables(registry.engine)
    out = []
    with registry.sessions() as session:
        query = select(t.Product, t.Manufacturer.name).join(t.Manufacturer)
        if manufacturer:
            query = query.where(t.Manufacturer.name == manufacturer)
        if slug:
            query = query.where(t.Product.slug == slug)
        chosen = session.execute(query).all()
        ids = [product.id for product, _maker in chosen]
        declared = _declarations(session, ids)
        releases = _releases(session, ids)
        for product, maker in chosen:
            decl = declared.get(product.id)
            fix_days = _declared(decl, "update_policy.fix_time_days", "fix_time_days")
            on_sale = _declared(decl, "product.on_sale", "on_sale")
            out.append(
                Product(
                    key=product.slug,
                    manufacturer=str(maker),
                    name=product.name,
                    support_end=support_until(decl),
                    fix_time_days=int(fix_days) if isinstance(fix_days, int | float) else None,
                    on_sale=on_sale if isinstance(on_sale, bool) else True,
                    releases=tuple(releases.get(product.id, ())),
                )
            )
    return out


# built once (the product page reads its ledger on every request); ``ids``: a chunk of ids
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
_DECLARATIONS = (
    select(t.Declaration.product_id, t.Declaration.content)
    .where(t.Declaration.product_id.in_(_IDS))
    .order_by(t.Declaration.id)
)
_FIRMWARE = (
    select(
        t.Firmware.id,
        t.Firmware.product_id,
        t.Firmware.version,
        t.Firmware.created,
        t.Firmware.latest_assessment_id,
        a.AuditedFirmware.firmware_id.label("audited"),
        a.AuditedFirmware.released,
        a.AuditedFirmware.inventory_id,
    )
    .outerjoin(a.AuditedFirmware, a.AuditedFirmware.firmware_id == t.Firmware.id)
    .where(t.Firmware.product_id.in_(_IDS))
    .order_by(t.Firmware.id)
)
_BUILT = select(
    t.AssessmentRow.id,
    func.coalesce(
        t.AssessmentRow.brief["build_date"].as_string(),
        t.AssessmentRow.summary["build_date"].as_string(),
    ),
).where(t.AssessmentRow.id.in_(_IDS))
_MATCHED = select(t.VulnerabilityRow.assessment_id, t.VulnerabilityRow.vuln_id).where(
    t.VulnerabilityRow.assessment_id.in_(_IDS)
)
_OPEN = select(a.Finding.inventory_id, a.Finding.id, a.Finding.vuln_id).where(
    a.Finding.inventory_id.in_(_IDS), a.Finding.state == "open"
)
_SUPPRESSED = select(a.FirmwareFinding.firmware_id, a.FirmwareFinding.finding_id).where(
    a.FirmwareFinding.firmware_id.in_(_IDS), a.FirmwareFinding.state == "suppressed"
)

_PRODUCT_ID = select(t.Product.id).where(t.Product.slug == bindparam("slug"))


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def _declarations(session: Any, product_ids: list[int]) -> dict[int, Any]:
    """Each product's latest declaration."""
    out: dict[int, Any] = {}
    for chunk in _chunks(product_ids):
        rows = session.execute(_DECLARATIONS, {"ids": chunk})
        out.update((pid, content) for pid, content in rows)  # the latest (highest id) last
    return out


def _releases(session: Any, product_ids: list[int]) -> dict[int, list[Release]]:
    """Each product's firmware as releases: released on the build date the image shows (kept
    at enrolment, else in its latest assessment's brief), or the day it was registered; its
    vulnerabilities are its open re-audit findings not suppressed (firmware under re-audit),
    else the matches that count of its latest assessment."""
    rows = []
    for chunk in _chunks(product_ids):
        rows += session.execute(_FIRMWARE, {"ids": chunk}).all()
    scanned = [r.latest_assessment_id for r in rows if r.audited is None and r.latest_assessment_id]
    built = _build_dates(session, scanned)
    matched = _matched(session, scanned)
    audited = [r for r in rows if r.audited is not None]
    found = _open_findings(session, audited)
    out: dict[int, list[Release]] = {}
    for r in rows:
        registered = r.created.date()
        if r.audited is not None:
            release = Release(r.version, r.released or registered, found.get(r.id, frozenset()))
        else:
            latest = r.latest_assessment_id
            on = _date(built.get(latest) or "") if latest else None
            release = Release(r.version, on or registered, matched.get(latest, frozenset()))
        out.setdefault(r.product_id, []).append(release)
    return out


def _build_dates(session: Any, assessment_ids: list[int]) -> dict[int, str]:
    """The build date (``summary.release_date``) each assessment's brief records: that key
    alone (the database reads it; no summary parsed here); from the summary when a row has
    no brief."""
    out: dict[int, str] = {}
    for chunk in _chunks(assessment_ids):
        rows = session.execute(_BUILT, {"ids": chunk})
        out.update((aid, text) for aid, text in rows if text)
    return out


def _matched(session: Any, assessment_ids: list[int]) -> dict[int, frozenset[str]]:
    """The ids of each assessment's matches that count (its vulnerability rows)."""
    found: dict[int, set[str]] = {}
    for chunk in _chunks(assessment_ids):
        rows = session.execute(_MATCHED, {"ids": chunk})
        for aid, vid in rows:
            found.setdefault(aid, set()).add(vid)
    return {aid: frozenset(ids) for aid, ids in found.items()}


def _open_findings(session: Any, audited: list[Any]) -> dict[int, frozenset[str]]:
    """Per audited firmware, the vulnerabilities of its inventory's open findings that no
    statement suppressed for that firmware."""
    if not audited:
        return {}
    by_inventory: dict[int, list[tuple[int, str]]] = {}
    for chunk in _chunks(sorted({r.inventory_id for r in audited})):
        rows = session.execute(_OPEN, {"ids": chunk})
        for inventory, finding, vid in rows:
            by_inventory.setdefault(inventory, []).append((finding, vid))
    suppressed: set[tuple[int, int]] = set()
    for chunk in _chunks([r.id for r in audited]):
        rows = session.execute(_SUPPRESSED, {"ids": chunk})
        suppressed.update((int(firmware), int(finding)) for firmware, finding in rows)
    return {
        r.id: frozenset(
            vid
            for finding, vid in by_inventory.get(r.inventory_id, [])
            if (r.id, finding) not in suppressed
        )
        for r in audited
    }


def vulnerability_dates(store: Store, ids: set[str]) -> dict[str, Vulnerability]:
    """Publication dates (NVD, else CVE record, else OSV, else any other source that gives
    one) and KEV dates from the store, with the bundled snapshot under it as the scan has
    it (``vulns.layers``): what the store lacks, the snapshot answers."""
    out = {}
    texts = publication_texts(store, ids)  # read by the database, not parsed record by record
    kevs = kev_entries(store, ids)
    for vid in sorted(ids):
        records = texts.get(vid, {})
        published = None
        preferred = ("nvd", "cve5", "osv")  # then any other source (e.g. the bundled overrides)
        for source in (*preferred, *sorted(set(records) - set(preferred))):
            given, meta_given = records.get(source, (None, None))
            value = given or meta_given
            published = _date(value) if value else None
            if published:
                break
        kev = kevs.get(vid)
        out[vid] = Vulnerability(vid, published, _date(kev["date_added"]) if kev else None)
    return out


def registry_ledger(
    registry: Registry,
    store: Store,
    today: date,
    manufacturer: str | None = None,
    slug: str | None = None,
) -> dict[str, Any]:
    """The ledger per manufacturer (JSON-ready), from what the registry and the store hold
    (``slug``: of that product alone, the totals then count it alone)."""
    products = registry_products(registry, manufacturer, slug)
    ids = {v for p in products for r in p.releases for v in r.vulnerabilities}
    return manufacturer_ledger(products, vulnerability_dates(store, ids), today)


def product_findings(registry: Registry, slug: str) -> list[dict[str, Any]]:
    """Every re-audit finding of a product's firmware, newest change first (for its page)."""
    a.ensure_tables(registry.engine)
    with registry.sessions() as session:
        product = session.scalar(_PRODUCT_ID, {"slug": slug})
        states = product_states(session, [product]) if product is not None else []
        out = [
            {
                "firmware": s.firmware.version,
                "vulnerability": s.finding.vuln_id,
                "component": s.finding.component,
                "state": s.state,
                "kev": bool(s.finding.kev),
                "severity": s.finding.severity,
                "origin": s.origin,
                "first_seen": s.first_seen.isoformat(),
                "changed": s.changed.isoformat(),
                "detail": s.detail,
                "fixed_in": s.fixed_by.version if s.fixed_by else "",
            }
            for s in states
        ]
    out.sort(key=lambda f: f["vulnerability"])
    out.sort(key=lambda f: f["changed"], reverse=True)
    return out
