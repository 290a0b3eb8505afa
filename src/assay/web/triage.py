"""The rows of the triage lists: a firmware's component inventory, and a product's findings.

Inventory: every component of one stored assessment (name, version, supplier, licence, how it
was found) with the number of vulnerabilities that count against it (``assay.vulns.counts``).

Findings, one row per firmware, component and vulnerability:

* firmware under re-audit: the re-audit's states (``accountability.states``): *open* (status
  ``affected``, or ``probable`` when the scan said so: a snapshot between vulnerable
  releases), *fixed* (by a later firmware of the product, named in ``fixed_in``),
  *suppressed* (a VEX statement; its justification is the ``detail``), *withdrawn*;
* firmware not yet under re-audit: its latest assessment's matches that count, as scanned;
* every firmware: its latest assessment's matches that do not count (``not_affected`` by
  Assay's applicability analysis, an ``unversioned`` record, or ``conditional`` on a platform
  condition), with why not.

CVSS and EPSS come from the stored matches, else from the vulnerability store (for what only
the re-audit found). ``by_vulnerability`` folds the rows into one per vulnerability: the
firmware it affects now, where it was fixed, and its most pressing status.
"""

from __future__ import annotations

import time
from operator import itemgetter
from typing import Any

from sqlalchemy import select

from assay.accountability import audit_tables as a
from assay.registry import Registry
from assay.registry import tables as t
from assay.vulns.counts import counts, why_not
from assay.web.accountability import component_label, findings, last_change
from assay.web.lists import severity_rank

STATUSES = (
    "affected",
    "probable",
    "conditional",
    "fixed",
    "suppressed",
    "not_affected",
    "withdrawn",
)
OPEN = ("affected", "probable")
STATUS_RANK = {s: len(STATUSES) - i for i, s in enumerate(STATUSES)}
LIFE_RANK = {"new": 6, "reopened": 5, "still_open": 4, "as_scanned": 3}
STORE_TTL = 300.0


def inventory(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The components of an assessment document, in its order, with vulnerability counts."""
    per_ref: dict[str, set[str]] = {}
    kev_ref: dict[str, set[str]] = {}
    for v in document.get("vulnerabilities") or []:
        if isinstance(v, dict) and counts(v):
            ref = str(v.get("component") or "")
            per_ref.setdefault(ref, set()).add(str(v.get("id")))
            if v.get("kev"):
                kev_ref.setdefault(ref, set()).add(str(v.get("id")))
    rows = []
    for c in document.get("components") or []:
        if not isinstance(c, dict):
            continue
        name, version = str(c.get("name") or ""), str(c.get("version") or "")
        ref = str(c.get("purl") or "") or f"{name}@{version}"
        found_by = c.get("found_by")
        found_by = found_by if isinstance(found_by, list) else []
        rows.append(
            {
                "name": name,
                "version": version,
                "type": str(c.get("type") or ""),
                "supplier": str(c.get("supplier") or ""),
                "license": str(c.get("license") or ""),
                "found_by": ", ".join(str(f) for f in found_by),
                "purl": str(c.get("purl") or ""),
                "cpe": str(c.get("cpe") or ""),
                "vulnerabilities": len(per_ref.get(ref, ())),
                "kev": len(kev_ref.get(ref, ())),
            }
        )
    return rows


INVENTORY_KEYS = ("name", "version", "type", "supplier", "license", "found_by", "vulnerabilities")
INVENTORY_SORT: dict[str, Any] = {k: itemgetter(k) for k in (*INVENTORY_KEYS, "kev")}


def filter_inventory(
    rows: list[dict[str, Any]], q: str = "", found_by: str = "", vulnerable: bool = False
) -> list[dict[str, Any]]:
    """Rows holding every word of ``q`` (in name, version, supplier, licence, PURL or CPE),
    found by ``found_by`` (a cataloger name), with vulnerabilities when ``vulnerable``."""
    words = q.lower().split()[:8]
    out = []
    for r in rows:
        text = " ".join((r["name"], r["version"], r["supplier"], r["license"], r["purl"], r["cpe"]))
        if words and not all(w in text.lower() for w in words):
            continue
        if found_by and found_by not in r["found_by"].split(", "):
            continue
        if vulnerable and not r["vulnerabilities"]:
            continue
        out.append(r)
    return out


def _latest_assessments(registry: Registry, slug: str) -> dict[str, int]:
    """Firmware version -> its latest assessment id (versions registered once or more)."""
    detail = registry.product(slug)
    return {f.version: max(f.assessments) for f in reversed(detail.firmware) if f.assessments}


def _scan_facts(
    registry: Registry, assessment_ids: list[int]
) -> tuple[dict[int, list[dict[str, Any]]], dict[str, float]]:
    """Each assessment's matches (from its summary) and the EPSS of their ids."""
    matches: dict[int, list[dict[str, Any]]] = {}
    epss: dict[str, float] = {}
    if not assessment_ids:
        return matches, epss
    with registry.sessions() as session:
        for aid, summary in session.execute(
            select(t.AssessmentRow.id, t.AssessmentRow.summary).where(
                t.AssessmentRow.id.in_(assessment_ids)
            )
        ):
            vulns = (summary or {}).get("vulnerabilities") or []
            matches[int(aid)] = [v for v in vulns if isinstance(v, dict)]
        for vid, score in session.execute(
            select(t.VulnerabilityRow.vuln_id, t.VulnerabilityRow.epss).where(
                t.VulnerabilityRow.assessment_id.in_(assessment_ids),
                t.VulnerabilityRow.epss.is_not(None),
            )
        ):
            epss[str(vid)] = float(score or 0.0)
    return matches, epss


def _audited_versions(registry: Registry, slug: str) -> set[str]:
    a.ensure_tables(registry.engine)
    with registry.sessions() as session:
        return set(
            session.scalars(
                select(t.Firmware.version)
                .join(t.Product, t.Product.id == t.Firmware.product_id)
                .join(a.AuditedFirmware, a.AuditedFirmware.firmware_id == t.Firmware.id)
                .where(t.Product.slug == slug)
            )
        )


def _row(version: str, v: dict[str, Any], status: str, detail: str, life: str) -> dict[str, Any]:
    ref = str(v.get("component") or "")
    return {
        "firmware": version,
        "vulnerability": str(v.get("id") or ""),
        "component": ref,
        "component_label": component_label(ref),
        "status": status,
        "state": "open" if status in ("affected", "probable") else status,
        "lifecycle": life,
        "words": life.replace("_", " "),
        "kev": bool(v.get("kev")),
        "severity": str(v.get("severity") or ""),
        "cvss": v.get("cvss_score"),
        "epss": None,
        "detail": detail,
        "fixed_in": "",
        "first_seen": "",
        "changed": "",
        "origin": "scan",
    }


def firmware_findings(
    registry: Registry, kev_lookup: Any, slug: str, cache: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Every finding of every firmware of the product (see the module's text), newest change
    first. ``cache`` keeps store look-ups (CVSS, EPSS) for a few minutes."""
    latest_of = _latest_assessments(registry, slug)
    audited = _audited_versions(registry, slug)
    matches, epss = _scan_facts(registry, sorted(set(latest_of.values())))
    scan_status: dict[tuple[str, str, str], dict[str, Any]] = {}
    for version, aid in latest_of.items():
        for v in matches.get(aid, []):
            key = (version, str(v.get("component")), str(v.get("id")))
            if counts(v) or key not in scan_status:  # a match that counts speaks for the pair
                scan_status[key] = v
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for f in findings(registry, slug, last_change(registry)):
        key = (f["firmware"], f["component"], f["vulnerability"])
        scanned = scan_status.get(key) or {}
        status = f["state"] if f["state"] != "open" else "affected"
        if status == "affected" and scanned.get("status") == "probable":
            status = "probable"
        row = {k: f[k] for k in ("firmware", "vulnerability", "component", "component_label")}
        rows[key] = {
            **row,
            "status": status,
            "state": f["state"],
            "lifecycle": f["lifecycle"],
            "words": f["words"],
            "kev": f["kev"],
            "severity": f["severity"] or str(scanned.get("severity") or ""),
            "cvss": scanned.get("cvss_score"),
            "epss": None,
            "detail": f["detail"],
            "fixed_in": f["fixed_in"],
            "first_seen": f["first_seen"],
            "changed": f["changed"],
            "origin": f["origin"],
        }
    for key, v in scan_status.items():  # what the re-audit does not hold (or not yet)
        version = key[0]
        if key in rows:
            continue
        if not counts(v):
            status = "conditional" if v.get("conditional") else "not_affected"
            rows[key] = _row(version, v, status, why_not(v), "not_counted")
        elif version not in audited:
            status = "probable" if v.get("status") == "probable" else "affected"
            rows[key] = _row(version, v, status, "found by the scan", "as_scanned")
    out = list(rows.values())
    _fill_scores(out, epss, kev_lookup, cache if cache is not None else {})
    out.sort(key=lambda r: (r["vulnerability"], r["firmware"], r["component"]))
    out.sort(key=lambda r: r["changed"], reverse=True)
    return out


def _fill_scores(
    rows: list[dict[str, Any]], epss: dict[str, float], kev_lookup: Any, cache: dict[str, Any]
) -> None:
    """CVSS and EPSS of every row: the scan's, else the store's (cached ``STORE_TTL`` s)."""
    now = time.monotonic()
    wanted = {
        r["vulnerability"] for r in rows if r["cvss"] is None or r["vulnerability"] not in epss
    }
    unknown = (-STORE_TTL, None, None, "")
    missing = {v for v in wanted if now - cache.get(v, unknown)[0] >= STORE_TTL}
    if missing and kev_lookup is not None:
        got = kev_lookup.use(lambda store: _store_scores(store, missing)) or {}
        for vid in missing:
            cache[vid] = (now, *got.get(vid, (None, None, "")))
    cvss_of = {r["vulnerability"]: r["cvss"] for r in rows if r["cvss"] is not None}
    for r in rows:
        vid = r["vulnerability"]
        _when, cvss, score, severity = cache.get(vid, unknown)
        r["cvss"] = cvss_of.get(vid, cvss)
        r["epss"] = epss.get(vid, score)
        r["severity"] = r["severity"] or severity


def _store_scores(store: Any, ids: set[str]) -> dict[str, tuple[float | None, float | None, str]]:
    """CVSS score, EPSS score and severity of each id, as the store holds them now."""
    from assay.vulns.priority import best_rating

    try:
        records, _kev, epss = store.bulk(ids)
    except Exception:  # a damaged or busy store leaves the scores unknown, never the page
        return {}
    out: dict[str, tuple[float | None, float | None, str]] = {}
    for vid in ids:
        ordered = [records.get(vid, {}).get(s) for s in ("nvd", "cve5", "override", "osv")]
        metrics = [m for r in ordered if r is not None for m in r.payload.get("cvss", [])]
        rating = best_rating(metrics)
        score = epss.get(vid)
        severity = rating.severity if rating else ""
        out[vid] = (rating.score if rating else None, score[0] if score else None, severity)
    return out


def by_vulnerability(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per vulnerability: the firmware it affects now (open or probable), the
    firmware that fixed it, its most pressing status and why; known exploited first, then by
    CVSS, then by id."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r["vulnerability"], []).append(r)
    out = []
    for vid, members in groups.items():
        top = max(members, key=lambda r: STATUS_RANK.get(r["status"], 0))
        scores = [r["cvss"] for r in members if r["cvss"] is not None]
        chances = [r["epss"] for r in members if r["epss"] is not None]
        ranks = [(severity_rank(r["severity"]) or 0, r["severity"]) for r in members]
        affects = sorted(
            {r["firmware"] for r in members if r["status"] in ("affected", "probable")}
        )
        seen = sorted(r["first_seen"] for r in members if r["first_seen"])
        changed = sorted(r["changed"] for r in members if r["changed"])
        out.append(
            {
                "vulnerability": vid,
                "kev": any(r["kev"] for r in members),
                "severity": max(ranks)[1] if ranks else "",
                "cvss": max(scores) if scores else None,
                "epss": max(chances) if chances else None,
                "status": top["status"],
                "detail": top["detail"],
                "lifecycle": max(
                    (r["lifecycle"] for r in members), key=lambda x: LIFE_RANK.get(x, 0)
                ),
                "components": sorted({r["component_label"] for r in members}),
                "firmware": affects,
                "fixed_in": sorted({r["fixed_in"] for r in members if r["fixed_in"]}),
                "statuses": [
                    {
                        "firmware": r["firmware"],
                        "component": r["component_label"],
                        "status": r["status"],
                        "detail": r["detail"],
                    }
                    for r in members
                ],
                "first_seen": seen[0] if seen else "",
                "changed": changed[-1] if changed else "",
            }
        )
    out.sort(key=lambda r: r["vulnerability"])
    out.sort(key=lambda r: (not r["kev"], -(r["cvss"] or -1.0)))
    return out


def _first(value: Any) -> Any:
    return (
        value[0]
        if isinstance(value, list) and value
        else ("" if isinstance(value, list) else value)
    )


FINDING_SORT = {
    "vulnerability": lambda r: r["vulnerability"],
    "severity": lambda r: severity_rank(r["severity"]),
    "cvss": lambda r: r["cvss"],
    "epss": lambda r: r["epss"],
    "kev": lambda r: r["kev"],
    "status": lambda r: STATUS_RANK.get(r["status"]),
    "lifecycle": lambda r: LIFE_RANK.get(r["lifecycle"], 0),
    "firmware": lambda r: r["firmware"] if isinstance(r["firmware"], str) else len(r["firmware"]),
    "component": lambda r: r.get("component_label") or _first(r.get("components")),
    "fixed_in": lambda r: _first(r["fixed_in"]),
    "first_seen": lambda r: r["first_seen"],
    "changed": lambda r: r["changed"],
}


def filter_findings(
    rows: list[dict[str, Any]],
    status: list[str],
    severity: list[str],
    kev: bool | None,
    firmware: str,
    component: str,
    q: str,
) -> list[dict[str, Any]]:
    """Rows whose status and severity are among those given (all when none), known
    exploited or not (``kev``), affecting ``firmware`` (a version), in a component whose
    name holds ``component``, whose id holds ``q``."""
    out = []
    wanted_sev = {s.lower() for s in severity}
    for r in rows:
        if status and r["status"] not in status:
            continue
        if wanted_sev and str(r["severity"]).lower() not in wanted_sev:
            continue
        if kev is not None and r["kev"] != kev:
            continue
        where = r["firmware"] if isinstance(r["firmware"], list) else [r["firmware"]]
        if firmware and firmware not in where + [s["firmware"] for s in r.get("statuses", [])]:
            continue
        names = r.get("components") or [r.get("component_label", "")]
        if component and not any(component.lower() in n.lower() for n in names):
            continue
        if q and q.lower() not in r["vulnerability"].lower():
            continue
        out.append(r)
    return out
