"""Assay's own bundled snapshot: NVD records, KEV entries and EPSS scores in one document.

``{"format": "assay-snapshot", "version": 1, "created": ..., "sources": [...],
"nvd": [<NVD API 2.0 cve objects>], "overrides": [<NVD-format overrides>],
"kev": [<KEV catalog rows>], "epss": [[cve, epss, pct]]}``
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from assay.vulns.feeds import kev, nvd, override
from assay.vulns.records import EpssScore, FeedInfo, Item, Skipped

FORMAT = "assay-snapshot"


def is_snapshot(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("format") == FORMAT


def read(doc: dict[str, Any], info: FeedInfo) -> Iterator[Item]:
    yield from nvd.read({"vulnerabilities": [{"cve": c} for c in doc.get("nvd", [])]}, info)
    for item in doc.get("overrides", []):
        if override.is_override(item):
            yield from override.read(item, info)
    info.format = "snapshot"
    info.timestamp = str(doc.get("created", ""))
    for n, row in enumerate(doc.get("kev", [])):
        yield kev._entry(row, info, n)
    score_date = str(doc.get("epss_date", ""))
    for row in doc.get("epss", []):
        try:
            yield EpssScore(str(row[0]), float(row[1]), float(row[2]), score_date)
        except (IndexError, TypeError, ValueError):
            yield Skipped(str(row), "bad EPSS row", info.name)
