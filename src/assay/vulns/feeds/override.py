"""NVD-format configuration overrides (Anchore's ``nvd-data-overrides``): CPE configurations
written for CVEs NVD has not analysed yet, as ``{"_annotation": {...}, "cve": {"configurations":
[...]}}`` with the NVD API 2.0 ``nodes`` / ``cpeMatch`` schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from assay.vulns.feeds.nvd import CVE_ID, config_keys
from assay.vulns.records import Advisory, FeedInfo, Item, Skipped


def is_override(doc: Any) -> bool:
    return (
        isinstance(doc, dict)
        and isinstance(doc.get("_annotation"), dict)
        and isinstance(doc.get("cve"), dict)
        and "configurations" in doc["cve"]
    )


def read(doc: dict[str, Any], info: FeedInfo) -> Iterator[Item]:
    info.format = "override"
    note = doc["_annotation"]
    cve_id = str(note.get("cve_id", ""))
    try:
        if not CVE_ID.match(cve_id):
            raise ValueError(f"bad id {cve_id!r}")
        configurations = doc["cve"]["configurations"]
        if not isinstance(configurations, list):
            raise ValueError("configurations is not a list")
        yield Advisory(
            id=cve_id,
            source="override",
            modified=str(note.get("modified", "")),
            payload={
                "published": str(note.get("published", "")),
                "modified": str(note.get("modified", "")),
                "status": "override",
                "description": str(note.get("description", "")),
                "cvss": [],
                "cwes": [],
                "references": [str(r) for r in (note.get("references") or [])[:8]],
                "override_reason": str(note.get("reason", "")),
                "cna": str(note.get("cna", "")),
            },
            configurations=configurations or None,
            cpe_keys=config_keys(configurations) if configurations else frozenset(),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        yield Skipped(cve_id or info.name, f"malformed override: {exc!r}", info.name)
