"""NVD CVE API 2.0: single responses, yearly and "modified" bundles (same envelope)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from assay.vulns.cpe import ANY, NA, parse_cpe
from assay.vulns.records import Advisory, CpeKey, FeedInfo, Item, Skipped
from assay.vulns.versions import version_key

CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$")
RANGE_KEYS = (
    "versionStartIncluding",
    "versionStartExcluding",
    "versionEndIncluding",
    "versionEndExcluding",
)
_METRIC_KEYS = (
    ("cvssMetricV40", "4.0"),
    ("cvssMetricV31", "3.1"),
    ("cvssMetricV30", "3.0"),
    ("cvssMetricV2", "2.0"),
)


def is_nvd(doc: Any) -> bool:
    if not isinstance(doc, dict) or not isinstance(doc.get("vulnerabilities"), list):
        return False
    if doc.get("format") == "NVD_CVE":
        return True
    first = doc["vulnerabilities"][:1]
    return bool(first) and isinstance(first[0], dict) and "cve" in first[0]


def read(doc: dict[str, Any], info: FeedInfo) -> Iterator[Item]:
    info.format = "nvd"
    info.timestamp = str(doc.get("timestamp", ""))
    for n, wrapper in enumerate(doc["vulnerabilities"]):
        cve = wrapper.get("cve") if isinstance(wrapper, dict) else None
        if not isinstance(cve, dict):
            yield Skipped(f"#{n}", "no 'cve' object", info.name)
            continue
        try:
            yield advisory(cve)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            yield Skipped(str(cve.get("id", f"#{n}")), f"malformed NVD record: {exc!r}", info.name)


def metrics(raw: dict[str, Any]) -> list[dict[str, Any]]:
    """NVD ``metrics`` reduced to (version, vector, score, severity, source, type)."""
    out: list[dict[str, Any]] = []
    for key, version in _METRIC_KEYS:
        for m in raw.get(key, ()) or ():
            data = m.get("cvssData", {})
            out.append(
                {
                    "version": str(data.get("version", version)),
                    "vector": str(data.get("vectorString", "")),
                    "score": float(data.get("baseScore", 0.0)),
                    "severity": str(data.get("baseSeverity") or m.get("baseSeverity") or ""),
                    "source": str(m.get("source", "")),
                    "type": str(m.get("type", "")),
                }
            )
    return out


def config_keys(configurations: list[Any]) -> frozenset[CpeKey]:
    """Index keys of every *vulnerable* criterion: (vendor, product, exact version key or
    ``*``, then the four range bounds, empty when absent)."""
    keys: set[CpeKey] = set()
    for conf in configurations:
        for node in conf["nodes"]:
            for match in node.get("cpeMatch", ()):
                if not match.get("vulnerable", False):
                    continue
                cpe = parse_cpe(match["criteria"])
                if cpe is None:
                    raise ValueError(f"bad criteria {match['criteria']!r}")
                if len(match) > 3:  # criteria, vulnerable, matchCriteriaId + range bounds
                    si, se, ei, ee = (str(match.get(k) or "") for k in RANGE_KEYS)
                    if si or se or ei or ee:
                        keys.add((cpe.vendor, cpe.product, "*", si, se, ei, ee))
                        continue
                if cpe.version in (ANY, NA):
                    keys.add((cpe.vendor, cpe.product, "*", "", "", "", ""))
                else:
                    vkey = version_key(cpe.effective_version)
                    keys.add((cpe.vendor, cpe.product, vkey, "", "", "", ""))
    return frozenset(keys)


def advisory(cve: dict[str, Any]) -> Advisory:
    cve_id = cve["id"]
    if not isinstance(cve_id, str) or not CVE_ID.match(cve_id):
        raise ValueError(f"bad id {cve_id!r}")
    configurations = cve.get("configurations") or None
    if configurations is not None and not isinstance(configurations, list):
        raise ValueError("configurations is not a list")
    description = next(
        (d["value"] for d in cve.get("descriptions", ()) if d.get("lang") == "en"), ""
    )
    cwes = sorted(
        {
            d["value"]
            for w in cve.get("weaknesses", ())
            for d in w.get("description", ())
            if str(d.get("value", "")).startswith("CWE-")
        }
    )
    payload: dict[str, Any] = {
        "published": cve.get("published", ""),
        "modified": cve.get("lastModified", ""),
        "status": cve.get("vulnStatus", ""),
        "description": description,
        "cvss": metrics(cve.get("metrics") or {}),
        "cwes": cwes,
        "references": [r["url"] for r in cve.get("references", ())[:8]],
    }
    if cve.get("cisaExploitAdd"):
        payload["kev"] = {
            "date_added": cve["cisaExploitAdd"],
            "due_date": cve.get("cisaActionDue", ""),
            "name": cve.get("cisaVulnerabilityName", ""),
        }
    return Advisory(
        id=cve_id,
        source="nvd",
        modified=str(cve.get("lastModified", "")),
        payload=payload,
        configurations=configurations,
        cpe_keys=config_keys(configurations) if configurations else frozenset(),
    )
