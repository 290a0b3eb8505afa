"""The part of an assessment the product page and the label read, kept beside the full
document so a page does not parse megabytes (642 matches with their reasons are 1.3 MB)."""

from __future__ import annotations

from datetime import date
from typing import Any

from assay.vulns.counts import counts

VULN_KEYS = ("id", "aliases", "component", "severity", "cvss_score", "kev", "priority")
# what assay.vulns.counts reads, when the match has them
COUNT_KEYS = ("status", "conditional", "suppressed")


def _why_not(match: dict[str, Any]) -> dict[str, Any]:
    """Of a match's reasons, only the applicability decision (one line) that makes it not
    count, so pages reading the summary can say why (``vulns.counts.why_not``)."""
    why = match.get("why")
    decided = why.get("applicability") if isinstance(why, dict) else None
    if match.get("status") != "not_affected" or not isinstance(decided, dict):
        return {}
    return {"why": {"applicability": {"reason": str(decided.get("reason") or "")}}}


def summarize(document: dict[str, Any]) -> dict[str, Any]:
    """The document without component details, match reasons and finding evidence."""
    summary = {
        k: v
        for k, v in document.items()
        if k not in ("components", "vulnerabilities", "findings", "problems")
    }
    facts = summary.get("facts")
    evidence = facts.get("kernel_evidence") if isinstance(facts, dict) else None
    if isinstance(facts, dict) and isinstance(evidence, dict) and "detail" in evidence:
        # the kernel's symbol lists (~200 KB) are for the re-audit, which reads the document
        kept = {k: v for k, v in evidence.items() if k != "detail"}
        summary["facts"] = {**facts, "kernel_evidence": kept}
    summary["components"] = []
    summary["component_count"] = len(document.get("components") or [])
    summary["vulnerabilities"] = [
        {k: v.get(k) for k in VULN_KEYS} | {k: v[k] for k in COUNT_KEYS if k in v} | _why_not(v)
        for v in document.get("vulnerabilities") or []
        if isinstance(v, dict)
    ]
    summary["findings"] = [
        {k: v for k, v in f.items() if k != "evidence"}
        for f in document.get("findings") or []
        if isinstance(f, dict)
    ]
    summary["problems"] = []
    built = release_date(document)
    summary["build_date"] = built.isoformat() if built else ""
    return summary


def brief(summary: dict[str, Any]) -> dict[str, Any]:
    """What the product page reads of a summary (``Registry.product``): the summary with its
    matches cut to those that count (``vulns.counts``), each as its id, aliases and the KEV flag
    of the scan. The page re-checks those ids against today's KEV list, and counts and CRA
    cases are made of counting matches alone; the ~650 matches with their components and
    reasons made the summary ~280 KB, the brief is ~60 KB (migration 0009)."""
    kept = []
    for match in summary.get("vulnerabilities") or []:
        if not isinstance(match, dict) or not counts(match):
            continue
        entry: dict[str, Any] = {"id": match.get("id")}
        if match.get("aliases"):
            entry["aliases"] = match["aliases"]
        if match.get("kev"):
            entry["kev"] = True
        kept.append(entry)
    return {**summary, "vulnerabilities": kept}


def release_date(document: dict[str, Any]) -> date | None:
    """When the firmware was built, as the image shows it: the build date in its kernel's
    banner (``catalog.kernel``); None when the image shows none."""
    dates = []
    for component in document.get("components") or []:
        props = component.get("properties") if isinstance(component, dict) else None
        value = props.get("build_date") if isinstance(props, dict) else None
        try:
            dates.append(date.fromisoformat(str(value)))
        except ValueError:
            continue
    return max(dates) if dates else None
