"""What every feed reader yields: advisories, KEV entries, EPSS scores, or a skipped record.

An ``Advisory`` is one source's view of one vulnerability, already reduced to what Assay
stores: a small ``payload`` (description, CVSS, CWEs, dates...), the NVD ``configurations``
when the source has them, CVE JSON 5 ``affected`` entries or OSV ``affected`` packages, and
the look-up keys the store indexes (CPE vendor:product:version-key, PURL ecosystem:name).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# (vendor, product, exact version key or "*", start incl., start excl., end incl., end excl.)
CpeKey = tuple[str, str, str, str, str, str, str]


@dataclass(frozen=True)
class Advisory:
    id: str  # CVE id, or the OSV id when the record is an OSV advisory
    source: str  # nvd | cve5 | osv
    modified: str
    payload: dict[str, Any]
    configurations: list[Any] | None = None  # NVD nodes (NVD records only)
    affected: list[Any] | None = None  # CVE JSON 5 affected / OSV affected
    cpe_keys: frozenset[CpeKey] = frozenset()  # see CpeKey
    purl_keys: frozenset[tuple[str, str]] = frozenset()  # (ecosystem, name), lower-case
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class KevEntry:
    cve: str
    vendor: str
    product: str
    name: str
    date_added: str
    due_date: str
    ransomware: str  # Known | Unknown
    required_action: str = ""


@dataclass(frozen=True)
class EpssScore:
    cve: str
    epss: float
    percentile: float
    score_date: str = ""


@dataclass(frozen=True)
class Skipped:
    """A malformed record that was left out, and why."""

    id: str
    reason: str
    where: str = ""


@dataclass
class FeedInfo:
    """Facts about one feed document (filled while it is read)."""

    name: str  # the file (or archive member) it came from
    format: str = ""  # nvd | cve5 | osv | kev | epss | snapshot
    timestamp: str = ""  # the feed's own date (NVD timestamp, KEV release, EPSS score date)
    extra: dict[str, Any] = field(default_factory=dict)


Item = Advisory | KevEntry | EpssScore | Skipped
