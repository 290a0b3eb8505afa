"""Build the ledger's records from the registry, the re-audit findings and the store.

Rules (see docs/accountability.md): a firmware's release date is the build date its image
shows (the kernel banner's build time, ``enroll.release_date``), else its registration date;
the vulnerabilities of a release are its findings that are not withdrawn or suppressed (for
firmware not yet under re-audit, its assessment's matches);
support end, fix time and "on sale" come from the product's latest declaration. A fixed
finding still counts in the release that carries it (that release is still vulnerable).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from assay.accountability import audit_tables as a
from assay.accountability.ledger import manufacturer_ledger
from assay.accountability.records import Product, Release, Vulnerability
from assay.accountability.states import product_states
from assay.present.label.declaration import support_until
from assay.registry import Registry
from assay.registry import tables as t
from assay.vulns.layers import kev_entries, snapshot_fallback
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
    """The registry's products (of one manufacturer, or the one with ``slug``) as records."""
    a.ensure_tables(registry.engine)
    out = []
    with registry.sessions() as session:
        query = select(t.Product, t.Manufacturer.name).join(t.Manufacturer)
        if manufacturer:
            query = query.where(t.Manufacturer.name == manufacturer)
        if slug:
            query = query.where(t.Product.slug == slug)
        for product, maker in session.execute(query):
            decl = session.scalar(
                select(t.Declaration.content)
                .where(t.Declaration.product_id == product.id)
                .order_by(t.Declaration.id.desc())
            )
            fix_days = _declared(decl, "update_policy.fix_time_days", "fix_time_days")
            on_sale = _declared(decl, "product.on_sale", "on_sale")
            firmware = session.scalars(
                select(t.Firmware).where(t.Firmware.product_id == product.id)
            )
            releases = [
                Release(fw.version, _released(session, fw), _vulns(session, fw.id))
                for fw in firmware
            ]
            out.append(
                Product(
                    key=product.slug,
                    manufacturer=str(maker),
                    name=product.name,
                    support_end=support_until(decl),
                    fix_time_days=int(fix_days) if isinstance(fix_days, int | float) else None,
                    on_sale=on_sale if isinstance(on_sale, bool) else True,
                    releases=tuple(releases),
                )
            )
    return out


def _released(session: Any, firmware: t.Firmware) -> date:
    """The build date the image shows (kept at enrolment, else in its latest assessment's
    summary), or the day it was registered."""
    audited = session.get(a.AuditedFirmware, firmware.id)
    if audited is not None:
        return audited.released or firmware.created.date()
    built_text = session.scalar(  # the one key, not the whole summary (tens of KB) parsed
        select(t.AssessmentRow.summary["build_date"].as_string())
        .where(t.AssessmentRow.firmware_id == firmware.id)
        .order_by(t.AssessmentRow.id.desc())
        .limit(1)
    )
    built = _date(built_text) if built_text else None
    return built or firmware.created.date()


def _vulns(session: Any, firmware_id: int) -> frozenset[str]:
    audited = session.get(a.AuditedFirmware, firmware_id)
    if audited is not None:
        suppressed = select(a.FirmwareFinding.finding_id).where(
            a.FirmwareFinding.firmware_id == firmware_id, a.FirmwareFinding.state == "suppressed"
        )
        return frozenset(
            session.scalars(
                select(a.Finding.vuln_id).where(
                    a.Finding.inventory_id == audited.inventory_id,
                    a.Finding.state == "open",
                    a.Finding.id.not_in(suppressed),
                )
            )
        )
    latest = session.scalar(
        select(func.max(t.AssessmentRow.id)).where(t.AssessmentRow.firmware_id == firmware_id)
    )
    return frozenset(
        session.scalars(
            select(t.VulnerabilityRow.vuln_id).where(t.VulnerabilityRow.assessment_id == latest)
        )
    )


def vulnerability_dates(store: Store, ids: set[str]) -> dict[str, Vulnerability]:
    """Publication dates (NVD, else CVE record, else OSV, else any other source that gives
    one) and KEV dates from the store, with the bundled snapshot under it as the scan has
    it (``vulns.layers``): what the store lacks, the snapshot answers."""
    out = {}
    lower = snapshot_fallback(store)
    kevs = kev_entries(store, ids)
    for vid in sorted(ids):
        records = store.records(vid)
        if not records and lower is not None:
            records = lower.records(vid)
        published = None
        preferred = ("nvd", "cve5", "osv")  # then any other source (e.g. the bundled overrides)
        for source in (*preferred, *sorted(set(records) - set(preferred))):
            rec = records.get(source)
            payload = rec.payload if rec else {}
            meta = payload.get("cveMetadata") or {}
            value = payload.get("published") or meta.get("datePublished")
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
        product = session.scalar(select(t.Product.id).where(t.Product.slug == slug))
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
