"""Portfolio search: which products and firmware carry a vulnerability or a component now.

The first question after a new advisory: "which of our products carry dnsmasq < 2.78?", "where
is CVE-2017-14491?". Components come from each firmware's latest assessment (the one
``firmware.latest_assessment_id`` names, kept by ``Registry.add``; the indexed component rows,
looked up by name); vulnerabilities from the re-audit's open findings for firmware it watches,
else from the latest assessment's matches that count. Version ranges compare as the
vulnerability matcher does (``assay.vulns.versions``). docs/registry.md, "Portfolio search".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from packageurl import PackageURL
from sqlalchemy import and_, func, or_, select, true

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


@lru_cache(maxsize=65536)
def _compare(have: str, wanted: str) -> int:
    """``compare``, remembered: a portfolio holds few distinct versions, many times over."""
    return compare(have, wanted)


def _where(stmt: Any) -> Any:
    return stmt.join(t.Product, t.Product.id == t.Firmware.product_id).join(
        t.Manufacturer, t.Manufacturer.id == t.Product.manufacturer_id
    )


def search(registry: Registry, query: Query, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """Firmware (latest assessment each) matching every part of ``query``, with what matched.

    The database counts the matches and cuts the page; only distinct versions and PURLs of
    the searched name are compared in Python (as the matcher compares them), and the page's
    firmware are then asked what matched in them."""
    if not (query.cve or query.component or query.purl or query.cpe or query.kev):
        raise UsageError("say what to search for", "give cve, component, purl, cpe or kev")
    if query.cve and not CVE.match(query.cve.strip()):
        raise UsageError(f"{query.cve!r} is not a vulnerability id", "e.g. CVE-2017-14491")
    a.ensure_tables(registry.engine)
    with registry.sessions() as session:
        conditions = []
        components = None
        if query.component or query.purl or query.cpe:
            components = _components(session, query)
            conditions.append(
                t.Firmware.latest_assessment_id.in_(
                    select(t.ComponentRow.assessment_id).where(*components)
                )
            )
        if query.cve or query.kev:
            conditions.append(_vulnerable(query))
        counted = session.execute(
            select(func.count(), func.count(t.Firmware.product_id.distinct()))
            .select_from(t.Firmware)
            .where(*conditions)
        ).one()
        # the page is cut in the listing order on the firmware table alone (its indexed
        # ``listing_key``), then only its rows are joined with their product and maker
        order = (t.Firmware.listing_key, t.Firmware.id)
        shown = (
            select(t.Firmware.id).where(*conditions).order_by(*order).limit(limit).offset(offset)
        )
        page = session.execute(
            _where(
                select(
                    t.Firmware.latest_assessment_id,
                    t.Product.slug,
                    t.Product.name,
                    t.Manufacturer.name,
                    t.Firmware.version,
                    t.Firmware.sha256,
                    t.Product.latest_assessment_id,
                    t.Firmware.id,
                ).select_from(t.Firmware)
            )
            .where(t.Firmware.id.in_(shown))
            .order_by(*order)
        ).all()
        matched: dict[int, set[str]] = {}
        aids = [int(r[0]) for r in page]
        if components is not None and aids:
            for aid, text in _matched_components(session, components, aids):
                matched.setdefault(aid, set()).add(text)
        if (query.cve or query.kev) and page:
            for aid, text in _matched_vulnerabilities(session, query, page):
                matched.setdefault(aid, set()).add(text)
    items = [
        {
            "product": slug,
            "name": name,
            "manufacturer": maker,
            "firmware": version,
            "sha256": sha,
            "latest_of_product": aid == current,
            "matched": sorted(matched.get(int(aid), set())),
        }
        for aid, slug, name, maker, version, sha, current, _fid in page
    ]
    return {
        "query": query.describe(),
        "total": int(counted[0]),
        "products": int(counted[1]),
        "limit": limit,
        "offset": offset,
        "items": items,
    }


def _components(session: Any, query: Query) -> list[Any]:
    """The conditions on component rows that ``query`` asks for. A version range or a PURL
    is decided in Python on the distinct versions (PURLs) stored under the searched name, as
    the matcher decides it; the database then keeps the rows with an accepted value."""
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
    conditions: list[Any] = []
    if name:
        conditions.append(t.ComponentRow.name == name)
    if op:
        conditions.append(
            _accepted(
                session, name, t.ComponentRow.version, lambda v: OPS[op](_compare(v, version))
            )
        )
    if purl is not None:
        wanted = purl
        conditions.append(
            _accepted(session, name, t.ComponentRow.purl, lambda p: _purl_matches(wanted, p))
        )
    if query.cpe:
        conditions += _cpe_prefix(session, query.cpe.strip().rstrip("*:"))
    return conditions


def _cpe_prefix(session: Any, prefix: str) -> list[Any]:
    """CPEs that start with ``prefix``, written so that the index ix_components_cpe serves:
    a ``LIKE 'prefix%'`` on PostgreSQL (a ``text_pattern_ops`` index), and on SQLite, whose
    ``LIKE`` ignores case and so no index, also the range of texts that start so."""
    escaped = prefix.replace("/", "//").replace("%", "/%").replace("_", "/_")
    out: list[Any] = [t.ComponentRow.cpe.like(escaped + "%", escape="/")]
    if session.bind.dialect.name == "sqlite" and prefix and prefix[-1] < chr(0x10FFFF):
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        out += [t.ComponentRow.cpe >= prefix, t.ComponentRow.cpe < upper]
    return out


def _accepted(session: Any, name: str, column: Any, keep: Callable[[str], bool]) -> Any:
    """``column`` among the distinct values under ``name`` that ``keep`` accepts (written as
    the shorter list: the accepted values, or all but the refused ones)."""
    values = session.scalars(select(column).where(t.ComponentRow.name == name).distinct()).all()
    accepted = [v for v in values if keep(v)]
    if len(accepted) * 2 <= len(values):
        return column.in_(accepted)
    return column.not_in([v for v in values if not keep(v)])


def _matched_components(
    session: Any, conditions: list[Any], aids: list[int]
) -> list[tuple[int, str]]:
    rows = session.execute(
        select(t.ComponentRow.assessment_id, t.ComponentRow.name, t.ComponentRow.version).where(
            t.ComponentRow.assessment_id.in_(aids), *conditions
        )
    )
    return [(int(aid), f"{name} {version}") for aid, name, version in rows]


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


def _vulnerable(query: Query) -> Any:
    """The condition on firmware: carries the vulnerability as the re-audit sees it now (its
    open findings) for firmware it watches, else as the latest assessment counted it."""
    cve = query.cve.strip().upper()
    live = (
        select(a.AuditedFirmware.firmware_id)
        .join(a.Finding, a.Finding.inventory_id == a.AuditedFirmware.inventory_id)
        .where(a.Finding.state == "open")
    )
    scanned = select(t.VulnerabilityRow.assessment_id)
    live, scanned = _narrowed(live, scanned, cve, query.kev)
    return and_(
        t.Firmware.latest_assessment_id.is_not(None),
        or_(
            t.Firmware.id.in_(live),
            and_(
                t.Firmware.id.not_in(select(a.AuditedFirmware.firmware_id)),
                t.Firmware.latest_assessment_id.in_(scanned),
            ),
        ),
    )


def _narrowed(live: Any, scanned: Any, cve: str, kev: bool) -> tuple[Any, Any]:
    """Both sources of a firmware's vulnerabilities (open re-audit findings, the latest
    assessment's matches) kept to one CVE and/or to the known exploited."""
    if cve:
        live = live.where(a.Finding.vuln_id == cve)
        scanned = scanned.where(t.VulnerabilityRow.vuln_id == cve)
    if kev:
        live = live.where(a.Finding.kev == true())
        scanned = scanned.where(t.VulnerabilityRow.kev == true())
    return live, scanned


def _matched_vulnerabilities(
    session: Any, query: Query, page: Sequence[Any]
) -> list[tuple[int, str]]:
    """(assessment id, what matched) for the firmware of one page."""
    cve = query.cve.strip().upper()
    latest = {int(row[7]): int(row[0]) for row in page}  # firmware id -> latest assessment
    audited = {
        int(f): int(i)
        for f, i in session.execute(
            select(a.AuditedFirmware.firmware_id, a.AuditedFirmware.inventory_id).where(
                a.AuditedFirmware.firmware_id.in_(list(latest))
            )
        )
    }
    live = select(a.Finding.inventory_id, a.Finding.vuln_id, a.Finding.kev).where(
        a.Finding.state == "open", a.Finding.inventory_id.in_(set(audited.values()))
    )
    scanned = select(
        t.VulnerabilityRow.assessment_id, t.VulnerabilityRow.vuln_id, t.VulnerabilityRow.kev
    ).where(
        t.VulnerabilityRow.assessment_id.in_([aid for f, aid in latest.items() if f not in audited])
    )
    live, scanned = _narrowed(live, scanned, cve, query.kev)
    by_inventory: dict[int, list[str]] = {}
    for inv, vid, kev in session.execute(live) if audited else []:
        by_inventory.setdefault(int(inv), []).append(vid + (" (known exploited)" if kev else ""))
    out = [
        (latest[fid], text) for fid, inv in audited.items() for text in by_inventory.get(inv, [])
    ]
    out += [
        (int(aid), vid + (" (known exploited)" if kev else ""))
        for aid, vid, kev in session.execute(scanned)
    ]
    return out
