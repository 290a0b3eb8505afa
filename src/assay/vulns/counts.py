"""One meaning of "counts": which matches count toward the KEV count, the level, the label,
the CRA clocks, ``--fail-on`` and the summary.

A match counts unless

* it is ``not_affected`` (Assay's own applicability analysis, e.g. a kernel CVE for another
  CPU architecture or a driver the image does not build — ``why.applicability`` says why);
* it is ``unversioned``: the NVD record names the product with version ``-`` (not
  applicable), so it says nothing about this version; such records are listed apart;
* it is ``conditional``: a "running on" platform condition (hardware, OS) that neither the
  identity nor the declaration settled. Conditions they settle are decided during matching;
  the remaining ones are shown as "N more if a platform condition holds", never counted;
* it is ``suppressed``: a VEX statement (not affected, fixed) or an entry of the ignore file
  given at scan time covers it (``present.suppression``); the match stays in every output with
  the statement's justification or the entry's reason.

``probable`` matches (a snapshot between two vulnerable releases) and ``unknown`` ones (the
applicability could not be settled) count: an unsettled question is not a pass.

Every function takes ``VulnerabilityMatch`` objects or their ``to_dict()`` form (the
registry, label and clocks read ``assessment.json`` documents).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from assay.model.vulnerability import VulnerabilityMatch

COUNTING = frozenset({"affected", "probable", "unknown"})
Match = VulnerabilityMatch | Mapping[str, Any]
M = TypeVar("M", VulnerabilityMatch, Mapping[str, Any])


def _get(match: Match, key: str) -> Any:
    # a match object first: the common case, and a quick test (Mapping is an ABC)
    if isinstance(match, VulnerabilityMatch) or not isinstance(match, Mapping):
        return getattr(match, key, None)
    return match.get(key)


def applies(match: Match) -> bool:
    """Whether ``match`` is an open question for this image whatever the platform: its status
    counts and nothing suppressed it (``counts`` without the platform condition)."""
    status = str(_get(match, "status") or "affected")
    return status in COUNTING and not _get(match, "suppressed")


def counts(match: Match) -> bool:
    """Whether ``match`` counts (see the module's text)."""
    return applies(match) and not _get(match, "conditional")


def counting(matches: Iterable[M]) -> list[M]:
    return [m for m in matches if counts(m)]


def kev_ids(matches: Iterable[Match]) -> tuple[str, ...]:
    """The known exploited vulnerabilities that count, each id once, sorted."""
    return tuple(sorted({str(_get(m, "id")) for m in matches if _get(m, "kev") and counts(m)}))


def why_not(match: Match) -> str:
    """Why a match does not count ("" when it does)."""
    suppressed = _get(match, "suppressed")
    if isinstance(suppressed, Mapping) and suppressed:
        return suppression_text(suppressed)
    status = str(_get(match, "status") or "affected")
    if status == "not_affected":
        why = _get(match, "why") or {}
        reason = (why.get("applicability") or {}).get("reason", "") if isinstance(why, dict) else ""
        return f"not affected: {reason}" if reason else "not affected"
    if status == "unversioned":
        return 'the record names no version ("-"): it does not say this version is affected'
    if status not in COUNTING:
        return f"status {status}"
    if _get(match, "conditional"):
        return "a platform condition the identity and the declaration could not settle"
    return ""


def suppression_text(suppressed: Mapping[str, Any]) -> str:
    """One line: who suppressed a match and why (the VEX justification, the ignore reason)."""
    source = str(suppressed.get("source") or "")
    reason = str(suppressed.get("reason") or "")
    if suppressed.get("by") == "ignore":
        text = f"ignored ({source})" if source else "ignored"
        until = str(suppressed.get("expires") or "")
        return f"{text}: {reason}" + (f" (until {until})" if until else "")
    status = str(suppressed.get("status") or "not_affected").replace("_", " ")
    text = f"{status} per VEX" + (f" ({source})" if source else "")
    justification = str(suppressed.get("justification") or "")
    details = [d for d in (justification, reason) if d]
    return f"{text}: {' - '.join(details)}" if details else text
