"""CVE JSON 5 records (CVE Record Format 5.x), with the CNA and ADP containers (CISA's
"vulnrichment" ADP adds CVSS, SSVC, KEV and CPEs)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from assay.vulns.cpe import parse_cpe
from assay.vulns.feeds.nvd import CVE_ID
from assay.vulns.records import Advisory, CpeKey, FeedInfo, Item, Skipped

_CVSS_KEYS = (("cvssV4_0", "4.0"), ("cvssV3_1", "3.1"), ("cvssV3_0", "3.0"), ("cvssV2_0", "2.0"))


def is_cve5(doc: Any) -> bool:
    return isinstance(doc, dict) and (
        doc.get("dataType") == "CVE_RECORD" or isinstance(doc.get("cveMetadata"), dict)
    )


def name_key(text: str) -> str:
    """A vendor or product name as an index key: ``The Kelleys`` -> ``the_kelleys``."""
    return re.sub(r"[^a-z0-9.+-]+", "_", text.strip().lower()).strip("_")


def read(doc: dict[str, Any], info: FeedInfo) -> Iterator[Item]:
    info.format = info.format or "cve5"
    try:
        yield advisory(doc)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        meta = doc.get("cveMetadata")
        meta = meta if isinstance(meta, dict) else {}
        yield Skipped(
            str(meta.get("cveId", info.name)), f"malformed CVE record: {exc!r}", info.name
        )


def _metrics(container: dict[str, Any], source: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for m in container.get("metrics", ()) or ():
        for key, version in _CVSS_KEYS:
            data = m.get(key)
            if isinstance(data, dict):
                out.append(
                    {
                        "version": str(data.get("version", version)),
                        "vector": str(data.get("vectorString", "")),
                        "score": float(data.get("baseScore", 0.0)),
                        "severity": str(data.get("baseSeverity", "")),
                        "source": source,
                        "type": "Secondary",
                    }
                )
    return out


def _other(container: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for m in container.get("metrics", ()) or ():
        other = m.get("other")
        if isinstance(other, dict) and str(other.get("type", "")).lower() == kind:
            content = other.get("content")
            return content if isinstance(content, dict) else None
    return None


def advisory(doc: dict[str, Any]) -> Advisory:
    meta = doc["cveMetadata"]
    cve_id = meta["cveId"]
    if not CVE_ID.match(cve_id):
        raise ValueError(f"bad id {cve_id!r}")
    containers = doc.get("containers", {})
    cna = containers.get("cna", {}) or {}
    adps = containers.get("adp", []) or []
    description = next(
        (
            d["value"]
            for d in cna.get("descriptions", ())
            if str(d.get("lang", "")).startswith("en")
        ),
        cna.get("title", ""),
    )
    cna_name = (cna.get("providerMetadata") or {}).get("shortName", "cna")
    cvss = _metrics(cna, cna_name)
    affected = [{**entry, "origin": cna_name} for entry in cna.get("affected", ()) or ()]
    ssvc: dict[str, Any] | None = None
    kev: dict[str, Any] | None = None
    for adp in adps:
        name = (adp.get("providerMetadata") or {}).get("shortName", "adp")
        cvss += _metrics(adp, name)
        affected.extend({**entry, "origin": name} for entry in adp.get("affected", ()) or ())
        content = _other(adp, "ssvc")
        if content:
            ssvc = {k: v for opt in content.get("options", ()) for k, v in opt.items()}
        content = _other(adp, "kev")
        if content:
            kev = {"date_added": content.get("dateAdded", ""), "source": name}
    keys: set[CpeKey] = set()
    for entry in affected:
        for text in entry.get("cpes", ()) or ():
            cpe = parse_cpe(text)
            if cpe:
                keys.add((cpe.vendor, cpe.product, "*", "", "", "", ""))
        vendor, product = (
            name_key(str(entry.get("vendor", ""))),
            name_key(str(entry.get("product", ""))),
        )
        if vendor and product and "n_a" not in (vendor, product):
            keys.add((vendor, product, "*", "", "", "", ""))
    payload: dict[str, Any] = {
        "published": meta.get("datePublished", ""),
        "modified": meta.get("dateUpdated", ""),
        "status": meta.get("state", ""),
        "description": description,
        "cvss": cvss,
        "cwes": sorted(
            {
                d["cweId"]
                for p in cna.get("problemTypes", ()) or ()
                for d in p.get("descriptions", ())
                if d.get("cweId")
            }
        ),
        "references": [r["url"] for r in (cna.get("references") or ())[:8]],
    }
    if ssvc:
        payload["ssvc"] = ssvc
    if kev:
        payload["kev"] = kev
    return Advisory(
        id=cve_id,
        source="cve5",
        modified=str(meta.get("dateUpdated", "")),
        payload=payload,
        affected=affected or None,
        cpe_keys=frozenset(keys),
    )
