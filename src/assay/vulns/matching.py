"""``match_assessment``: every known vulnerability of every component, each with its reason.

For each component (see ``assay.vulns.keys`` for how it is named and versioned):

1. NVD: records with a criterion on one of its names at its exact version key, or with a
   range / any-version criterion, are evaluated in full (``assay.vulns.nvdmatch``).
2. CVE JSON 5: when NVD has no configuration for a CVE (not analysed yet), the CNA's and
   ADP's ``affected`` entries decide (``assay.vulns.affected``).
3. OSV: components whose PURL names an ecosystem are matched by ecosystem and name; an OSV
   advisory whose CVE alias was already matched on the component is not repeated.

Records about one CVE from several sources are merged with this precedence:

* which versions are affected: NVD configurations, else NVD-format overrides (Anchore's
  configurations for CVEs NVD has not analysed), else CVE JSON 5 ``affected``, else OSV;
* description and publication date: NVD, then CVE JSON 5 (CNA), then the override, then OSV;
* CVSS: NVD's primary rating, then secondary ratings (CNA, CISA ADP), newest CVSS version
  first (``assay.vulns.priority.best_rating``);
* KEV: the CISA KEV catalog entry, else a KEV date carried by the NVD or ADP record;
* EPSS: the latest imported score.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

from assay.model.assessment import Assessment
from assay.model.component import Component
from assay.model.identity import Identity
from assay.model.vulnerability import VulnerabilityMatch
from assay.vulns.affected import cve5_match, osv_match
from assay.vulns.cpe import NA, parse_cpe
from assay.vulns.kernel import KERNEL, KernelEvidence
from assay.vulns.kernel import decide as kernel_decision
from assay.vulns.keys import Lookup, Name, lookup
from assay.vulns.layers import held as _held
from assay.vulns.layers import snapshot_fallback
from assay.vulns.nvdmatch import Context, evaluate
from assay.vulns.priority import PRIORITIES, best_rating, decide
from assay.vulns.probable import probable
from assay.vulns.remedy import fixed_in
from assay.vulns.store import Store, StoredRecord
from assay.vulns.versions import release_of, upstream_version, version_key

# PURL type -> OSV ecosystem (lower-case, without the ":release" part)
OSV_ECOSYSTEMS = {
    "pypi": "pypi",
    "npm": "npm",
    "deb": "debian",
    "apk": "alpine",
    "golang": "go",
    "cargo": "crates.io",
    "maven": "maven",
    "gem": "rubygems",
    "nuget": "nuget",
    "composer": "packagist",
    "hex": "hex",
    "pub": "pub",
}
_REJECTED = {"rejected", "withdrawn"}


def match_assessment(
    assessment: Assessment, store: Store, kernel: KernelEvidence | None = None
) -> list[VulnerabilityMatch]:
    """All vulnerability matches for the assessment's components, most urgent first.
    ``kernel``: what the image shows of its kernel, to decide which kernel CVEs apply."""
    identity = settled_identity(assessment.identity, assessment.declaration)
    fallback = snapshot_fallback(store)
    return match_components(assessment.components, store, identity, kernel, fallback)


def settled_identity(identity: Identity, declaration: dict[str, Any] | None) -> Identity:
    """The identity with the declaration's manufacturer and model where the image said
    nothing: they settle hardware ("running on") conditions."""
    if not isinstance(declaration, dict):
        return identity
    maker = declaration.get("manufacturer")
    maker = maker.get("name") if isinstance(maker, dict) else maker
    return replace(
        identity,
        vendor=identity.vendor or str(maker or ""),
        model=identity.model or str(declaration.get("model") or ""),
    )


@dataclass(frozen=True)
class _Hit:
    """A match decided, before the record details are loaded."""

    id: str
    component: Component
    lookup: Lookup | None
    why: dict[str, Any]
    conditional: bool
    confidence: str
    extra_records: dict[str, StoredRecord] | None = None
    status: str = "affected"


def match_components(
    components: list[Component],
    store: Store,
    identity: Identity | None = None,
    kernel: KernelEvidence | None = None,
    fallback: Store | None = None,
) -> list[VulnerabilityMatch]:
    """``fallback``: a lower-priority store (the bundled snapshot) for the records ``store``
    lacks: its matches are kept only for CVEs of which ``store`` has no record at all."""
    identity = identity or Identity()
    # A package whose files the binary signatures identified (wpad-mini ships hostapd and
    # wpa_supplicant) is matched through those components, not again through its name.
    identified = {dict(c.properties).get("package") for c in components if c.cpe}
    lookups = [(c, None if not c.cpe and c.name in identified else lookup(c)) for c in components]
    inventory: dict[Name, list[str]] = defaultdict(list)
    for _c, lk in lookups:
        if lk:
            for name in lk.names:
                inventory[name].append(lk.version)
    frozen = {k: tuple(v) for k, v in inventory.items()}
    hits = _all_hits(lookups, frozen, identity, store)
    records, kev, epss = store.bulk(h.id for h in hits)
    if fallback is not None:
        lower = _all_hits(lookups, frozen, identity, fallback, store)
        lower = [h for h in lower if h.id not in records]
        more, kev_low, epss_low = fallback.bulk(h.id for h in lower)
        _, kev_main, epss_main = store.bulk(h.id for h in lower)
        records |= more
        kev = {**kev_low, **kev_main, **kev}
        epss = {**epss_low, **epss_main, **epss}
        note = f"{fallback.origin} ({store.origin} has no record of this CVE)"
        hits += [replace(h, why={**h.why, "data": note}) for h in lower]
    out = [_build(h, records.get(h.id, {}), kev.get(h.id), epss.get(h.id), kernel) for h in hits]
    order = {p: i for i, p in enumerate(PRIORITIES)}
    out.sort(key=lambda m: (order.get(m.priority, 9), -(m.cvss_score or 0.0), m.component, m.id))
    return out


def _all_hits(
    lookups: list[tuple[Component, Lookup | None]],
    frozen: dict[Name, tuple[str, ...]],
    identity: Identity,
    store: Store,
    above: Store | None = None,
) -> list[_Hit]:
    hits: list[_Hit] = []
    for component, lk in lookups:
        found: set[str] = set()
        if lk is not None:
            own = {k: v for k, v in frozen.items() if k not in lk.names}
            for hit in _cpe_hits(component, lk, Context(lk, identity, own), store, above):
                if hit.id not in found:
                    found.add(hit.id)
                    hits.append(hit)
        for hit in _osv_hits(component, store, found):
            found.add(hit.id)
            hits.append(hit)
    return hits


def _component_evidence(component: Component, lk: Lookup | None) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "ref": component.ref,
        "name": component.name,
        "version": component.version,
        "found_by": list(component.found_by),
        "locations": list(component.locations[:5]),
    }
    if lk is not None:
        ev.update(
            names=sorted(":".join(n) for n in lk.names),
            lookup=lk.basis,
            compared_version=lk.version,
            version_basis=lk.version_basis,
        )
    return ev


def _cpe_hits(
    component: Component, lk: Lookup, ctx: Context, store: Store, above: Store | None = None
) -> list[_Hit]:
    """``above``: a higher-priority store; candidates it has a record of are left to it."""
    # the release a pre-release leads to: records that enumerate it may make it probable
    vkeys = {version_key(lk.version), version_key(release_of(lk.version))}
    candidates: set[tuple[str, str]] = set()
    for vendor, product in sorted(lk.names):
        candidates |= store.by_cpe(vendor, product, vkeys, lk.version)
    if above is not None and candidates:
        held = _held(above, {rid for rid, _ in candidates})
        candidates = {c for c in candidates if c[0] not in held}
    by_id: dict[str, set[str]] = defaultdict(set)
    for rid, source in candidates:
        by_id[rid].add(source)
    hits: list[_Hit] = []
    configs = store.configs(rid for rid, sources in by_id.items() if "nvd" in sources)
    overridden = [r for r, sources in by_id.items() if "override" in sources and r not in configs]
    overrides = store.override_configs(overridden) if overridden else {}
    for rid in sorted(by_id):
        config = configs.get(rid) or overrides.get(rid)
        if config:
            source = "nvd" if rid in configs else "override"
            result = evaluate(config, ctx)
            status, between = "affected", None
            if result is None:
                between = probable(config, ctx)
                if between is None:
                    continue
                result, status = between.result, "probable"
            tri, outcome = result
            if all(_unversioned(c) for c in outcome.hits):
                status = "unversioned"
            reason = _reason(component, lk, outcome.hits, tri)
            if between is not None:
                reason = f"probable: {between.reason}; {reason}"
            elif status == "unversioned":
                reason += ' (version "-": the record names no version; listed apart)'
            if source == "override":
                reason += " (NVD-format override: NVD has not analysed this CVE)"
            why = {
                "source": source,
                "record": rid,
                "matched": outcome.hits,
                "platforms": outcome.platforms,
                "reason": reason,
            }
            confidence = "low" if outcome.loose else lk.confidence
            hits.append(_Hit(rid, component, lk, why, tri is None, confidence, None, status))
            continue
        records = store.records(rid)
        if any(r.configurations for s, r in records.items() if s in ("nvd", "override")):
            continue  # NVD-format configurations decide, and they did not match
        cve5 = records.get("cve5")
        if cve5 is None or not cve5.affected:
            continue
        if str(cve5.payload.get("status", "")).lower() in _REJECTED:
            continue
        found = cve5_match(cve5.affected, lk.names, lk.version)
        if found is None:
            continue
        why = {
            "source": "cve5",
            "record": rid,
            "matched": [found],
            "platforms": [],
            "reason": f"{component.name} {lk.version}: {found['vendor']} {found['product']} "
            f"{found['statement']} (CVE record, {found['origin']}; NVD has no configuration)",
        }
        confidence = "low" if found["default"] else "medium"
        hits.append(_Hit(rid, component, lk, why, False, confidence))
    return hits


def _osv_keys(component: Component) -> tuple[set[tuple[str, str]], str, str]:
    from packageurl import PackageURL

    try:
        purl = PackageURL.from_string(component.purl)
    except ValueError:
        return set(), "", ""
    namespaced = purl.namespace and purl.type in ("maven", "golang", "npm", "composer")
    name = f"{purl.namespace}/{purl.name}" if namespaced else purl.name
    keys: set[tuple[str, str]] = set()
    ecosystem = OSV_ECOSYSTEMS.get(purl.type)
    if purl.type == "rpm" and purl.namespace:
        ecosystem = purl.namespace.lower()
    if ecosystem:
        keys.add((ecosystem, name.lower()))
    keys.add((f"purl:{purl.type}", name.lower()))
    keys.add(("oss-fuzz", purl.name.lower()))
    version = purl.version or component.version
    if purl.type in ("opkg", "generic"):
        version = upstream_version(version)
    elif purl.type == "rpm" and purl.qualifiers.get("epoch") and ":" not in version:
        version = f"{purl.qualifiers['epoch']}:{version}"
    return keys, name, version


def _osv_hits(component: Component, store: Store, seen: set[str]) -> list[_Hit]:
    if not component.purl:
        return []
    keys, name, version = _osv_keys(component)
    candidates: set[tuple[str, str]] = set()
    for eco, pkg in keys:
        candidates |= {c for c in store.by_purl(eco, pkg) if c[1] == "osv"}
    out: list[_Hit] = []
    for rid, _source in sorted(candidates):
        rec = store.records(rid).get("osv")
        if rec is None or not rec.affected:
            continue
        if str(rec.payload.get("status", "")).lower() in _REJECTED:
            continue
        statement = osv_match(rec.affected, keys, version)
        if not statement:
            continue
        cves = [a for a in rec.aliases if a.startswith("CVE-")]
        if any(c in seen for c in cves):
            continue
        vid = cves[0] if len(cves) == 1 else rid
        why = {
            "source": "osv",
            "record": rid,
            "matched": [{"package": name, "statement": statement}],
            "platforms": [],
            "reason": f"{component.name} {version}: {statement} (OSV {rid})",
        }
        out.append(_Hit(vid, component, None, why, False, "medium", {"osv": rec}))
    return out


def _unversioned(criterion: dict[str, Any]) -> bool:
    """A criterion with version "-" (not applicable) and no range: it names no version."""
    cpe = parse_cpe(criterion.get("criteria", ""))
    return cpe is not None and cpe.version == NA and len(criterion) == 1


def _reason(component: Component, lk: Lookup, hits: list[dict[str, Any]], tri: bool | None) -> str:
    crit = hits[0]
    bounds = [
        f"{op} {crit[k]}"
        for k, op in (
            ("versionStartIncluding", ">="),
            ("versionStartExcluding", ">"),
            ("versionEndIncluding", "<="),
            ("versionEndExcluding", "<"),
        )
        if crit.get(k)
    ]
    cpe = parse_cpe(crit["criteria"])
    what = f"{cpe.vendor}:{cpe.product}" if cpe else crit["criteria"]
    exact = cpe.effective_version if cpe else "?"
    scope = " and ".join(bounds) if bounds else f"version {exact}"
    text = f"{component.name} {lk.version} matches {what} {scope}"
    if tri is None:
        text += "; a platform condition could not be checked against the product's identity"
    return text


def _first(records: list[StoredRecord], key: str) -> Any:
    return next((r.payload[key] for r in records if r.payload.get(key)), None)


def _build(
    hit: _Hit,
    records: dict[str, StoredRecord],
    kev_entry: dict[str, str] | None,
    epss: tuple[float, float, str] | None,
    kernel: KernelEvidence | None = None,
) -> VulnerabilityMatch:
    records = {**records, **(hit.extra_records or {})}
    ordered = [records[s] for s in ("nvd", "cve5", "override", "osv") if s in records]
    rating = best_rating([m for r in ordered for m in r.payload.get("cvss", [])])
    kev_payload = _first(ordered, "kev")
    ssvc = _first(ordered, "ssvc") or {}
    priority, decision = decide(
        rating, bool(kev_entry or kev_payload), epss[0] if epss else None,
        str(ssvc.get("Exploitation", "")),
    )  # fmt: skip
    source_record = records.get(hit.why["source"])
    aliases = {a for r in ordered for a in r.aliases} | {hit.why["record"]}
    why = {
        **hit.why,
        "record_modified": source_record.modified if source_record else "",
        "component": _component_evidence(hit.component, hit.lookup),
        "confidence": hit.confidence,
        "rating": None
        if rating is None
        else {
            "version": rating.version,
            "vector": rating.vector,
            "score": rating.score,
            "source": rating.source,
        },
        "kev": kev_entry or kev_payload,
        "epss": {"score": epss[0], "percentile": epss[1], "date": epss[2]} if epss else None,
        "priority": {"outcome": priority, **decision},
    }
    status = hit.status
    description = str(_first(ordered, "description") or "")
    if kernel is not None and status == "affected" and hit.lookup and KERNEL in hit.lookup.names:
        cve5 = records.get("cve5")
        affected = cve5.affected if cve5 else None
        applies = kernel_decision(description, kernel, affected, hit.lookup.version)
        status, why["applicability"] = applies.status, applies.to_dict()
    fixed = fixed_in(hit.why, records)
    why["fixed_in"] = fixed
    return VulnerabilityMatch(
        id=hit.id,
        component=hit.component.ref,
        severity=rating.severity if rating else "unknown",
        cvss_score=rating.score if rating else None,
        cvss_vector=rating.vector if rating else "",
        kev=bool(kev_entry or kev_payload),
        epss=epss[0] if epss else None,
        priority=priority,
        description=description,
        published=str(_first(ordered, "published") or ""),
        aliases=tuple(sorted(aliases - {hit.id})),
        why=why,
        conditional=hit.conditional,
        confidence=hit.confidence,
        status=status,
        fixed_in=fixed,
        cwes=tuple(sorted({str(c) for r in ordered for c in r.payload.get("cwes") or ()})),
        references=_references(ordered),
    )


def _references(records: list[StoredRecord]) -> tuple[str, ...]:
    """The records' advisory URLs, first seen first, without repeats (at most 16)."""
    urls = (str(u) for r in records for u in r.payload.get("references") or () if u)
    return tuple(dict.fromkeys(u for u in urls if u.startswith(("https://", "http://"))))[:16]
