"""Portfolio search: which products and firmware carry a vulnerability or a component now.

The first question after a new advisory: "which of our products carry dnsmasq < 2.78?", "where
is CVE-2017-14491?". Components come from each firmware's latest assessment (the indexed
component rows, looked up by name); vulnerabilities from the re-audit's open findings for
firmware it watches, else from the latest assessment's matches. Version ranges compare as the
vulnerability matcher does (``assay.vulns.versions``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from packageurl import PackageURL
from sqlalchemy import and_, func, select

from assay.accountability import audit_tables as a
from assay.errors import UsageError
from assay.registry import Registry
from assay.registry import tables as t
from assay.vulns.versions import compare

RANGE = re.compile(r"^\s*([A-Za-z0-9][\w.+-]*?)\s*(<=|>=|==|!=|<|>|=|@)\s*([\w.+~:-]+)\s*$")
CVE = re.compile(r"^(CVE-\d{4}-\d{4,}|GHSA-[\w-]+|OSV-[\w-]+|[A-Z]+-\d{4}-[\w-]+)$", re.I)
OPS = {
    "<": lambda c: c < 0,
    "<=": lambda c: c <= 0,
    ">": lambda c: c > 0,
    ">=": lambda c: c >= 0,
    "=": lambda c: c == 0,
    "==": lambda c: c == 0,
    "@": lambda c: c == 0,
    "!=": lambda c: c != 0,
}


@dataclass(frozen=True)
class Query:
    cve: str = ""
    component: str = ""  # name, or name<op>version
    purl: str = ""
    cpe: str = ""
    kev: bool = False

    def describe(self) -> str:
        parts = [p for p in (self.cve, self.component, self.purl, self.cpe) if p]
        return " and ".join(parts + (["known exploited"] if self.kev else [])) or "everything"


def parse_component(text: str) -> tuple[str, str, str]:
    """``dnsmasq<2.78`` → ("dnsmasq", "<", "2.78"); a bare name → (name, "", "")."""
    found = RANGE.match(text)
    if found:
        return found.group(1), found.group(2), found.group(3)
    if re.fullmatch(r"[A-Za-z0-9][\w.+-]*", text.strip()):
        return text.strip(), "", ""
    raise UsageError(
        f"cannot read the component query {text!r}",
        "write NAME, or NAME<VERSION (also <=, >, >=, =, !=)",
    )


def _latest() -> Any:
    """The ids of each firmware's latest assessment, as a subquery for ``IN``: written so,
    the databases start from the index of the searched name (or id) and test membership,
    instead of visiting every component of every latest assessment (8x faster on SQLite)."""
    return select(func.max(t.AssessmentRow.id)).group_by(t.AssessmentRow.firmware_id)


@lru_cache(maxsize=65536)
def _compare(have: str, wanted: str) -> int:
    """``compare``, remembered: a portfolio holds few distinct versions, many times over."""
    return compare(have, wanted)


def _where(stmt: Any) -> Any:
    return (
        stmt.join(t.Firmware, t.Firmware.id == t.AssessmentRow.firmware_id)
        .join(t.Product, t.Product.id == t.Firmware.product_id)
        .join(t.Manufacturer, t.Manufacturer.id == t.Product.manufacturer_id)
    )


def search(registry: Registry, query: Query, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """Firmware (latest assessment each) matching every part of ``query``, with what matched."""
    if not (query.cve or query.component or query.purl or query.cpe or query.kev):
        raise UsageError("say what to search for", "give cve, component, purl, cpe or kev")
    if query.cve and not CVE.match(query.cve.strip()):
        raise UsageError(f"{query.cve!r} is not a vulnerability id", "e.g. CVE-2017-14491")
    a.ensure_tables(registry.engine)
    hits: dict[int, dict[str, Any]] = {}
    with registry.sessions() as session:
        latest = _latest()
        parts: list[dict[int, list[str]]] = []
        if query.component or query.purl or query.cpe:
            parts.append(_components(session, latest, query))
        if query.cve or query.kev:
            parts.append(_vulnerabilities(session, latest, query))
        wanted = set(parts[0])
        for part in parts[1:]:
            wanted &= set(part)
        # the order of the listing (manufacturer, product, firmware) for every match, and the
        # details only for the page shown
        listing = _where(
            select(t.AssessmentRow.id, t.Manufacturer.name, t.Product.slug, t.Firmware.version)
            .select_from(t.AssessmentRow)
            .where(t.AssessmentRow.id.in_(latest))
        )
        order = [r for r in session.execute(listing) if r[0] in wanted] if wanted else []
        order.sort(key=lambda r: (r[1], r[2], r[3]))
        page = [r[0] for r in order[offset : offset + limit]]
        rows = (
            session.execute(
                _where(
                    select(
                        t.AssessmentRow.id,
                        t.Product.slug,
                        t.Product.name,
                        t.Manufacturer.name,
                        t.Firmware.version,
                        t.Firmware.sha256,
                        t.Product.latest_assessment_id,
                    ).select_from(t.AssessmentRow)
                ).where(t.AssessmentRow.id.in_(page))
            ).all()
            if page
            else []
        )
        for aid, slug, name, maker, version, sha, current in rows:
            hits[aid] = {
                "product": slug,
                "name": name,
                "manufacturer": maker,
                "firmware": version,
                "sha256": sha,
                "latest_of_product": aid == current,
                "matched": sorted({m for part in parts for m in part.get(aid, [])}),
            }
    items = [hits[aid] for aid in page if aid in hits]  # in the listing's order
    return {
        "query": query.describe(),
        "total": len(order),
        "products": len({r[2] for r in order}),
        "limit": limit,
        "offset": offset,
        "items": items,
    }


def _components(session: Any, latest: Any, query: Query) -> dict[int, list[str]]:
    name, op, version = parse_component(query.component) if query.component else ("", "", "")
    purl = None
    if query.purl:
        try:
            purl = PackageURL.from_string(query.purl.strip())
        except ValueError as err:
            raise UsageError(
                f"{query.purl!r} is not a PURL", "e.g. pkg:opkg/openwrt/dnsmasq"
            ) from err
        name = name or purl.name
    # the CPE column only when asked: the rest is read from the covering index
    # (ix_components_search) without visiting the table
    cpe_column = t.ComponentRow.cpe if query.cpe else t.ComponentRow.purl
    stmt = select(
        t.ComponentRow.assessment_id,
        t.ComponentRow.name,
        t.ComponentRow.version,
        t.ComponentRow.purl,
        cpe_column,
    ).where(t.ComponentRow.assessment_id.in_(latest))
    if name:
        stmt = stmt.where(t.ComponentRow.name == name)
    if query.cpe:
        prefix = query.cpe.strip().rstrip("*:")
        stmt = stmt.where(t.ComponentRow.cpe.startswith(prefix, autoescape=True))
    out: dict[int, list[str]] = {}
    for aid, cname, cversion, cpurl, _cpe in session.execute(stmt):
        if op and not OPS[op](_compare(cversion, version)):
            continue
        if purl is not None and not _purl_matches(purl, cpurl):
            continue
        out.setdefault(aid, []).append(f"{cname} {cversion}")
    return out


def _purl_matches(wanted: PackageURL, text: str) -> bool:
    have = _parsed(text)
    if have is None:
        return False
    return (
        have.type == wanted.type
        and have.name == wanted.name
        and (not wanted.namespace or have.namespace == wanted.namespace)
        and (not wanted.version or have.version == wanted.version)
    )


@lru_cache(maxsize=65536)
def _parsed(text: str) -> PackageURL | None:
    """A stored PURL, parsed once (a portfolio holds few distinct ones, many times over)."""
    try:
        return PackageURL.from_string(text)
    except ValueError:
        return None


def _vulnerabilities(session: Any, latest: Any, query: Query) -> dict[int, list[str]]:
    """Assessment id -> vulnerabilities matched, as the re-audit sees them now."""
    cve = query.cve.strip().upper()
    out: dict[int, list[str]] = {}
    audited = {
        int(f): int(i)
        for f, i in session.execute(
            select(a.AuditedFirmware.firmware_id, a.AuditedFirmware.inventory_id)
        )
    }
    live = select(a.Finding.inventory_id, a.Finding.vuln_id, a.Finding.kev).where(
        a.Finding.state == "open"
    )
    if cve:
        live = live.where(a.Finding.vuln_id == cve)
    if query.kev:
        live = live.where(a.Finding.kev.is_(True))
    by_inventory: dict[int, list[str]] = {}
    for inv, vid, kev in session.execute(live):
        by_inventory.setdefault(int(inv), []).append(vid + (" (known exploited)" if kev else ""))
    newest = select(t.AssessmentRow.firmware_id, t.AssessmentRow.id).where(
        t.AssessmentRow.id.in_(latest)
    )
    latest_of = {int(f): int(i) for f, i in session.execute(newest)}
    for fid, inv in audited.items():
        if int(inv) in by_inventory and fid in latest_of:
            out[latest_of[fid]] = by_inventory[int(inv)]
    scanned = select(
        t.VulnerabilityRow.assessment_id, t.VulnerabilityRow.vuln_id, t.VulnerabilityRow.kev
    ).where(t.VulnerabilityRow.assessment_id.in_(latest))
    conditions = []
    if cve:
        conditions.append(t.VulnerabilityRow.vuln_id == cve)
    if query.kev:
        conditions.append(t.VulnerabilityRow.kev.is_(True))
    not_audited = {aid for fid, aid in latest_of.items() if fid not in audited}
    for aid, vid, kev in session.execute(scanned.where(and_(*conditions))):
        if aid in not_audited:
            out.setdefault(aid, []).append(vid + (" (known exploited)" if kev else ""))
    return out
