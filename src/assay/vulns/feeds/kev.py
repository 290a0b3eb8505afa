"""CISA Known Exploited Vulnerabilities catalog, JSON or CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from assay.errors import FeedError
from assay.vulns.feeds.nvd import CVE_ID
from assay.vulns.records import FeedInfo, Item, KevEntry, Skipped

CSV_HEADER = "cveID,vendorProject,product"


def is_kev(doc: Any) -> bool:
    return isinstance(doc, dict) and "catalogVersion" in doc and "vulnerabilities" in doc


def _entry(row: dict[str, Any], info: FeedInfo, n: int) -> Item:
    cve = str(row.get("cveID", "")).strip()
    if not CVE_ID.match(cve):
        return Skipped(cve or f"#{n}", "KEV entry without a valid cveID", info.name)
    return KevEntry(
        cve=cve,
        vendor=str(row.get("vendorProject", "")),
        product=str(row.get("product", "")),
        name=str(row.get("vulnerabilityName", "")),
        date_added=str(row.get("dateAdded", "")),
        due_date=str(row.get("dueDate", "")),
        ransomware=str(row.get("knownRansomwareCampaignUse", "")),
        required_action=str(row.get("requiredAction", "")),
    )


def read_json(doc: dict[str, Any], info: FeedInfo) -> Iterator[Item]:
    info.format = "kev"
    info.timestamp = str(doc.get("dateReleased") or doc.get("catalogVersion") or "")
    info.extra["catalogVersion"] = doc.get("catalogVersion", "")
    rows = doc["vulnerabilities"]
    if not isinstance(rows, list):  # found by fuzzing: a ValueError here was a traceback
        raise FeedError(f"{info.name}: KEV 'vulnerabilities' is not a list", "is it the catalog?")
    for n, row in enumerate(rows):
        yield (
            _entry(row, info, n)
            if isinstance(row, dict)
            else Skipped(f"#{n}", "not an object", info.name)
        )


def read_csv(text: str, info: FeedInfo) -> Iterator[Item]:
    info.format = "kev"
    reader = csv.DictReader(io.StringIO(text))
    try:
        for n, row in enumerate(reader):
            yield _entry(row, info, n)
    except csv.Error as exc:  # e.g. a field over csv's 128 KiB limit: the rest is unreadable
        raise FeedError(
            f"{info.name}: broken CSV at line {reader.line_num} ({exc})",
            "download the KEV catalog again, or use its JSON form",
        ) from exc
