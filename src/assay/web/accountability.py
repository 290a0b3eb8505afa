"""What the product page and the API show of the re-audit: findings with their lifecycle, the
accountability ledger, and the CRA reporting-clock cases of known exploited vulnerabilities.

Lifecycle words (from the ``audit_finding`` state, see docs/accountability.md):
*new* = open, found by the latest re-audit run that changed anything (a run that changed
nothing leaves the words as they were); *still open* = open since an earlier scan or
run; *reopened* = open again after the feed had withdrawn it; *fixed* = absent from a later
firmware of the product; *withdrawn* = the feed record changed and no longer matches;
*suppressed* = a VEX statement says not affected or fixed (its justification is the detail).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select

from assay.accountability import audit_tables as a
from assay.accountability.clocks import ReportCase, cases_from_assessment, with_submission
from assay.accountability.from_registry import product_findings, registry_ledger
from assay.accountability.reports import case_summary, report_text
from assay.registry import Registry
from assay.vulns.counts import counts
from assay.vulns.layers import kev_entries

WORDS = {
    "new": "new",
    "still_open": "still open",
    "reopened": "open again",
    "fixed": "fixed",
    "withdrawn": "withdrawn by the feed",
    "suppressed": "suppressed by VEX",
}


_COMPLETED = (  # newest first; built once (the product page reads it on every request)
    select(a.OutboxEvent.created, a.OutboxEvent.payload)
    .where(a.OutboxEvent.kind == "reaudit.completed")
    .order_by(a.OutboxEvent.created.desc(), a.OutboxEvent.id.desc())
    .execution_options(yield_per=200)
)


def last_run(registry: Registry) -> datetime | None:
    """When the latest re-audit finished (its ``reaudit.completed`` event)."""
    a.ensure_tables(registry.engine)
    with registry.sessions() as session:
        moment = session.scalar(
            select(func.max(a.OutboxEvent.created)).where(a.OutboxEvent.kind == "reaudit.completed")
        )
    return None if moment is None else _aware(moment)


def last_change(registry: Registry) -> datetime | None:
    """When the latest re-audit that changed a finding ran: what *new* is measured from, so
    that a run which changed nothing (a no-op) leaves the words as they were."""
    return reaudit_moments(registry)[1]


def reaudit_moments(registry: Registry) -> tuple[datetime | None, datetime | None]:
    """``last_run`` and ``last_change`` from one read of the completion events, newest first
    (it stops at the first run that changed something)."""
    a.ensure_tables(registry.engine)
    run = None
    with registry.sessions() as session:
        for moment, payload in session.execute(_COMPLETED):
            run = run or _aware(moment)
            counts = payload.get("counts") if isinstance(payload, dict) else None
            if not isinstance(counts, dict) or any(counts.values()):
                return run, _aware(moment)
    return run, None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def lifecycle(finding: dict[str, Any], latest: datetime | None) -> str:
    state = str(finding["state"])
    if state != "open":
        return state
    first = _aware(datetime.fromisoformat(finding["first_seen"]))
    changed = _aware(datetime.fromisoformat(finding["changed"]))
    if changed > first:
        return "reopened"
    if finding["origin"] == "reaudit" and latest is not None and first >= latest:
        return "new"
    return "still_open"


def component_label(ref: str) -> str:
    """``pkg:opkg/openwrt/dnsmasq@2.62-2?arch=..`` -> ``dnsmasq 2.62-2`` (names stay readable)."""
    bare = ref.split("?", 1)[0].split("#", 1)[0]
    name, _, version = bare.rpartition("@") if "@" in bare else (bare, "", "")
    if len(version) > 20:  # e.g. OpenWrt's kernel package: 3.3.8-1-<32 hex digits>
        version = version[:14] + "\u2026"
    return f"{name.rsplit('/', 1)[-1]} {version}".strip()


def findings(registry: Registry, slug: str, latest: datetime | None) -> list[dict[str, Any]]:
    """The product's re-audit findings, each with ``lifecycle`` (``latest``: when the latest
    re-audit ran), its plain ``words`` and a readable ``component_label``."""
    out = []
    for f in product_findings(registry, slug):
        life = lifecycle(f, latest)
        label = component_label(str(f["component"]))
        out.append(
            {**f, "lifecycle": life, "words": WORDS.get(life, life), "component_label": label}
        )
    return out


def new_by_vulnerability(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The *new* findings, one entry per vulnerability (known exploited first), with the
    components and firmware versions it was found in."""
    by_id: dict[str, dict[str, Any]] = {}
    for f in found:
        if f["lifecycle"] != "new":
            continue
        entry = by_id.setdefault(
            f["vulnerability"],
            {
                "vulnerability": f["vulnerability"],
                "kev": False,
                "severity": f["severity"],
                "components": set(),
                "firmware": set(),
                "first_seen": f["first_seen"],
            },
        )
        entry["kev"] = entry["kev"] or bool(f["kev"])
        entry["components"].add(f["component_label"])
        entry["firmware"].add(str(f["firmware"]))
    out = [
        {**e, "components": sorted(e["components"]), "firmware": sorted(e["firmware"])}
        for e in by_id.values()
    ]
    return sorted(out, key=lambda e: (not e["kev"], e["vulnerability"]))


def component_counts(found: list[dict[str, Any]], life: str) -> list[tuple[str, int]]:
    """How many distinct vulnerabilities in each lifecycle ``life`` touch each component."""
    ids: dict[str, set[str]] = {}
    for f in found:
        if f["lifecycle"] == life:
            ids.setdefault(f["component_label"], set()).add(f["vulnerability"])
    return sorted(((c, len(v)) for c, v in ids.items()), key=lambda cv: (-cv[1], cv[0]))


def product_ledger(
    registry: Registry, store: Any, slug: str, manufacturer: str, today: date
) -> Any:
    """The product's ledger entry (computed for that product alone), or None."""
    ledger = registry_ledger(registry, store, today, manufacturer, slug)
    for item in (ledger.get(manufacturer) or {}).get("products") or []:
        if item.get("product") == slug:
            return item
    return None


def _kev_entry(vid: str, kev: dict[str, str]) -> dict[str, Any]:
    return {
        "cveID": vid,
        "dateAdded": kev.get("date_added"),
        "vulnerabilityName": kev.get("name", ""),
        "requiredAction": kev.get("action", ""),
        "knownRansomwareCampaignUse": kev.get("ransomware", "Unknown"),
    }


CASE_KEYS = ("id", "aliases", "description", "severity", "cvss_vector", "component")


def case_facts(document: dict[str, Any]) -> dict[str, Any]:
    """What ``report_cases`` reads of an assessment's document: its identity, declaration,
    target and date, its components' names, and its matches that count with what a CRA report
    states of them (cases are made of counting matches only). A few hundred KB of Python
    objects instead of a 2 MB document, so the page can keep them per assessment (a stored
    assessment never changes)."""
    vulns = [
        {k: v[k] for k in CASE_KEYS if k in v}
        for v in document.get("vulnerabilities") or []
        if isinstance(v, dict) and counts(v)
    ]
    components = [
        {k: c.get(k) for k in ("name", "version", "purl")}
        for c in document.get("components") or []
        if isinstance(c, dict)
    ]
    kept: dict[str, Any] = {
        k: document[k] for k in ("identity", "declaration", "target", "created") if k in document
    }
    return {**kept, "components": components, "vulnerabilities": vulns}


def report_cases(
    summary: dict[str, Any],
    load: Callable[[], dict[str, Any]],
    product_findings_: list[dict[str, Any]],
    store: Any,
    now: datetime,
    submitted: dict[str, list[tuple[str, datetime]]] | None = None,
) -> list[ReportCase]:
    """One CRA case per known exploited vulnerability the product's firmware carry (open, or
    fixed only by a later firmware): from the re-audit findings when there are any, else from
    the latest assessment's matches. The clock starts when Assay first saw it (the finding's
    first sighting, or the assessment's date); a fix is available once no firmware has it
    open (from when the fixing firmware came under re-audit); ``submitted`` holds the reports
    the manufacturer recorded as sent, by vulnerability.

    ``summary`` is the latest assessment's summary; ``load`` reads the whole document (a
    megabyte or more), which the report texts need, only when there is a case to write."""
    carried = [f for f in product_findings_ if f["state"] in ("open", "fixed")]
    if carried:
        vulns = [
            {"id": f["vulnerability"], "component": f["component"], "severity": f["severity"]}
            for f in carried
        ]
    else:
        vulns = [v for v in summary.get("vulnerabilities") or [] if isinstance(v, dict)]
    ids = {i for v in vulns for i in (str(v.get("id", "")), *map(str, v.get("aliases") or []))}
    kev = {vid: _kev_entry(vid, entry) for vid, entry in kev_entries(store, ids - {""}).items()}
    if not kev:
        return []
    document = load()
    if not carried:
        vulns = [v for v in document.get("vulnerabilities") or [] if isinstance(v, dict)]
    created = str(document.get("created") or "")
    try:
        scanned = _aware(datetime.fromisoformat(created))
    except ValueError:
        scanned = now
    cases = cases_from_assessment({**document, "vulnerabilities": vulns}, kev, scanned)
    out = []
    for case in cases:
        seen = [f for f in carried if f["vulnerability"] == case.vulnerability]
        if seen:
            aware = min(_aware(datetime.fromisoformat(f["first_seen"])) for f in seen)
            versions = tuple(sorted({str(f["firmware"]) for f in seen}))
            case = replace(case, aware_at=aware, versions_affected=versions)
            if all(f["state"] == "fixed" for f in seen):
                first_fix = min(seen, key=lambda f: str(f["changed"]))
                case = replace(
                    case,
                    fix_available_at=_aware(datetime.fromisoformat(first_fix["changed"])),
                    fixed_in=str(first_fix.get("fixed_in") or ""),
                )
        for stage, when in (submitted or {}).get(case.vulnerability, []):
            case = with_submission(case, stage, when)
        out.append(case)
    return out


def cases_view(cases: list[ReportCase], now: datetime) -> list[dict[str, Any]]:
    """Each case's deadlines, what is due next, and the text of that report."""
    out = []
    for case in cases:
        summary = case_summary(case, now)
        due = summary["next_due"]
        text = report_text(case, due["stage"], now) if due else ""
        out.append({**summary, "versions_affected": list(case.versions_affected), "text": text})
    return out


def findings_view(registry: Registry, slug: str, now: datetime | None = None) -> dict[str, Any]:
    """The product's re-audit findings alone (the findings API: no ledger, no store)."""
    now = now or datetime.now(UTC)
    latest, changed = reaudit_moments(registry)
    return {
        "product": slug,
        "as_of": now.isoformat(timespec="seconds"),
        "last_reaudit": latest.isoformat() if latest else None,
        "findings": findings(registry, slug, changed),
    }


def for_product(
    registry: Registry,
    kev_lookup: Any,
    slug: str,
    manufacturer: str,
    summary: dict[str, Any],
    load: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """Findings, ledger and CRA cases of one product (the page's and the API's data). The
    ledger and the cases need the vulnerability store; without one they are None and
    ``store_missing`` says so."""
    from assay.accountability.submissions import submissions

    now = datetime.now(UTC)
    base = findings_view(registry, slug, now)
    found = base["findings"]
    sent = submissions(registry, slug)

    def read(store: Any) -> tuple[Any, list[dict[str, Any]]]:
        ledger = product_ledger(registry, store, slug, manufacturer, now.date())
        return ledger, cases_view(report_cases(summary, load, found, store, now, sent), now)

    got = kev_lookup.use(read)
    ledger, cases = got if got is not None else (None, None)
    return {
        **base,
        "ledger": ledger,
        "report_cases": cases,
        "store_missing": got is None,
    }


def manufacturer_view(registry: Registry, kev_lookup: Any, name: str) -> dict[str, Any]:
    """The ledger of all of a manufacturer's products (the page's and the API's data)."""
    from assay.web.errors import ApiError

    today = datetime.now(UTC).date()
    got = kev_lookup.use(lambda store: registry_ledger(registry, store, today, name))
    if got is None:
        raise ApiError(503, "no vulnerability store to read", "run assay feeds update")
    if name not in got:
        raise ApiError(404, f"no manufacturer {name!r} in the registry", "check the spelling")
    return {"manufacturer": name, "today": today.isoformat(), **got[name]}
