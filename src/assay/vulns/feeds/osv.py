"""OSV advisories (JSON or YAML; one record, or a list of records)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from packageurl import PackageURL

from assay.vulns.records import Advisory, FeedInfo, Item, Skipped


def is_osv(doc: Any) -> bool:
    return (
        isinstance(doc, dict)
        and isinstance(doc.get("id"), str)
        and ("affected" in doc or "modified" in doc)
        and "cveMetadata" not in doc
    )


def read(doc: Any, info: FeedInfo) -> Iterator[Item]:
    info.format = "osv"
    for rec in doc if isinstance(doc, list) else [doc]:
        try:
            yield advisory(rec)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            rid = rec.get("id", info.name) if isinstance(rec, dict) else info.name
            yield Skipped(str(rid), f"malformed OSV record: {exc!r}", info.name)


def _purl_key(package: dict[str, Any]) -> tuple[str, str] | None:
    purl = package.get("purl")
    if purl:
        try:
            p = PackageURL.from_string(purl)
            name = f"{p.namespace}/{p.name}" if p.namespace and p.type != "generic" else p.name
            return (f"purl:{p.type}", name.lower())
        except ValueError:
            pass
    return None


def advisory(rec: dict[str, Any]) -> Advisory:
    rid = rec["id"]
    if not isinstance(rid, str) or not rid:
        raise ValueError("no id")
    affected = rec.get("affected") or []
    if not isinstance(affected, list):
        raise ValueError("affected is not a list")
    keys: set[tuple[str, str]] = set()
    for entry in affected:
        package = entry.get("package") or {}
        eco, name = str(package.get("ecosystem", "")), str(package.get("name", ""))
        if eco and name:
            keys.add((eco.split(":")[0].lower(), name.lower()))
        pk = _purl_key(package)
        if pk:
            keys.add(pk)
    aliases = [a for a in (rec.get("aliases") or []) if isinstance(a, str)]
    related = [a for a in (rec.get("related") or []) if isinstance(a, str)]
    severity = [
        {"version": str(s.get("type", "")), "vector": str(s.get("score", "")), "score": None}
        for s in rec.get("severity") or []
        if isinstance(s, dict)
    ]
    payload = {
        "published": str(rec.get("published", "")),
        "modified": str(rec.get("modified", "")),
        "status": "WITHDRAWN" if rec.get("withdrawn") else "",
        "description": str(rec.get("summary") or rec.get("details") or "")[:2000],
        "osv_severity": severity,
        "references": [r.get("url", "") for r in (rec.get("references") or [])[:8]],
        "related": related,
    }
    return Advisory(
        id=rid,
        source="osv",
        modified=str(rec.get("modified", "")),
        payload=payload,
        affected=affected,
        purl_keys=frozenset(keys),
        aliases=tuple(sorted(set(aliases) | {r for r in related if r.startswith("CVE-")})),
    )
