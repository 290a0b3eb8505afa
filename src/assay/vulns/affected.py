"""Matching CVE JSON 5 ``affected`` entries and OSV ``affected`` ranges to a version.

CVE JSON 5: an entry names a product by ``cpes`` or ``vendor``/``product``; its ``versions``
say ``affected`` or ``unaffected`` for an exact version or a range (``version`` up to
``lessThan`` / ``lessThanOrEqual``; ``5.4.*`` means the whole 5.4 branch). An unaffected
match beats an affected one (the Linux kernel CNA lists the fixed stable branches as
unaffected inside a wide affected range); with no match, ``defaultStatus`` decides.
Entries in ``git`` commit terms cannot be evaluated against a version and are passed over.

OSV: the ``versions`` list is matched exactly; ``ECOSYSTEM`` and ``SEMVER`` ranges are walked
event by event (introduced / fixed / last_affected). ``GIT`` ranges need commit ids and are
passed over.
"""

from __future__ import annotations

from typing import Any

from assay.vulns.cpe import parse_cpe
from assay.vulns.feeds.cve5 import name_key
from assay.vulns.keys import Name
from assay.vulns.versions import compare, is_comparable, tokens

_OPEN = ("", "0", "*", "n/a", "unspecified")


def _le_wild(version: str, bound: str) -> bool:
    if bound.endswith("*"):
        prefix = bound.rstrip("*").rstrip(".")
        n = len(tokens(prefix))
        if tokens(version)[:n] == tokens(prefix):
            return True
        return compare(version, prefix) < 0
    return compare(version, bound) <= 0


def _entry_status(entry: dict[str, Any], version: str) -> tuple[str, str, bool]:
    """(status, the statement that decided it, whether a version statement decided it) for
    one affected entry; status "" when the entry speaks only in git commits."""
    found: list[tuple[str, str]] = []
    versions = [v for v in entry.get("versions") or () if isinstance(v, dict)]
    usable = [v for v in versions if str(v.get("versionType", "")).lower() != "git"]
    if versions and not usable:
        return "", "only git commit ranges", False
    for v in usable:
        status = str(v.get("status", "")).lower()
        start = str(v.get("version", "")).strip()
        less, less_eq = str(v.get("lessThan", "")).strip(), str(v.get("lessThanOrEqual", ""))
        if less or less_eq.strip():
            if start not in _OPEN and (not is_comparable(start) or compare(version, start) < 0):
                continue
            if less and less != "*" and compare(version, less) >= 0:
                continue
            if less_eq.strip() and not _le_wild(version, less_eq.strip()):
                continue
            bound = f"< {less}" if less else f"<= {less_eq.strip()}"
            found.append((status, f"{start or '0'} {bound}: {status}"))
        elif is_comparable(start) and compare(version, start) == 0:
            found.append((status, f"{start}: {status}"))
    for wanted in ("unaffected", "affected"):
        for status, why in found:
            if status == wanted:
                return status, why, True
    default = str(entry.get("defaultStatus", "unknown")).lower()
    return default, f"defaultStatus {default}", False


def cve5_match(
    affected: list[dict[str, Any]], names: frozenset[Name], version: str
) -> dict[str, Any] | None:
    """The affected entry (and statement) that makes ``version`` affected, else ``None``.

    A version statement that says unaffected wins over everything; then one that says
    affected; then an entry's ``defaultStatus`` (a weaker, low-confidence answer)."""
    verdicts: list[tuple[str, str, bool, dict[str, Any]]] = []
    for entry in affected:
        entry_names = {c.key for c in map(parse_cpe, entry.get("cpes") or ()) if c is not None}
        vendor, product = (
            name_key(str(entry.get("vendor", ""))),
            name_key(str(entry.get("product", ""))),
        )
        entry_names.add((vendor, product))
        if not entry_names & names:
            continue
        status, why, explicit = _entry_status(entry, version)
        if status:
            verdicts.append((status, why, explicit, entry))
    if any(s == "unaffected" and explicit for s, _, explicit, _ in verdicts):
        return None
    ranked = sorted(verdicts, key=lambda v: not v[2])  # explicit statements first
    for status, why, explicit, entry in ranked:
        if status == "affected":
            return {
                "vendor": entry.get("vendor", ""),
                "product": entry.get("product", ""),
                "statement": why,
                "origin": entry.get("origin", ""),
                "default": not explicit,
            }
    return None


def _split_epoch(version: str) -> tuple[int, str]:
    head, sep, rest = version.partition(":")
    if sep and head.isdigit():
        return int(head), rest
    return 0, version


def compare_pm(a: str, b: str) -> int:
    """Compare package-manager versions: the epoch (``1:``, default 0) first, then the rest."""
    (ea, ra), (eb, rb) = _split_epoch(a), _split_epoch(b)
    if ea != eb:
        return -1 if ea < eb else 1
    return compare(ra, rb)


def osv_match(affected: list[dict[str, Any]], keys: set[tuple[str, str]], version: str) -> str:
    """Why ``version`` is affected according to an OSV record's entries for ``keys``
    (``(ecosystem, name)``), or ``""``."""
    for entry in affected:
        package = entry.get("package") or {}
        key = (
            str(package.get("ecosystem", "")).split(":")[0].lower(),
            str(package.get("name", "")).lower(),
        )
        if key not in keys:
            continue
        listed = [str(v) for v in entry.get("versions") or ()]
        for v in listed:
            if compare_pm(v, version) == 0 and is_comparable(v):
                return f"version {v} listed as affected"
        for rng in entry.get("ranges") or ():
            if str(rng.get("type", "")).upper() not in ("ECOSYSTEM", "SEMVER"):
                continue
            why = _walk(rng.get("events") or [], version)
            if why:
                return why
    return ""


def _walk(events: list[dict[str, str]], version: str) -> str:
    introduced = ""
    affected = False
    for event in events:
        if "introduced" in event:
            intro = str(event["introduced"])
            if intro == "0" or compare_pm(version, intro) >= 0:
                affected, introduced = True, intro
        elif "fixed" in event and affected:
            if compare_pm(version, str(event["fixed"])) < 0:
                return f"introduced {introduced}, fixed {event['fixed']}"
            affected = False
        elif "last_affected" in event and affected:
            if compare_pm(version, str(event["last_affected"])) <= 0:
                return f"introduced {introduced}, last affected {event['last_affected']}"
            affected = False
        elif "limit" in event and affected and compare_pm(version, str(event["limit"])) >= 0:
            affected = False
    return f"introduced {introduced}, not fixed" if affected else ""
