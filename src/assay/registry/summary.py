"""The part of an assessment the product page and the label read, kept beside the full
document so a page does not parse megabytes (642 matches with their reasons are 1.3 MB)."""

from __future__ import annotations

from typing import Any

VULN_KEYS = ("id", "component", "severity", "cvss_score", "kev", "priority")


def summarize(document: dict[str, Any]) -> dict[str, Any]:
    """The document without component details, match reasons and finding evidence."""
    summary = {
        k: v
        for k, v in document.items()
        if k not in ("components", "vulnerabilities", "findings", "problems")
    }
    summary["components"] = []
    summary["component_count"] = len(document.get("components") or [])
    summary["vulnerabilities"] = [
        {k: v.get(k) for k in VULN_KEYS}
        for v in document.get("vulnerabilities") or []
        if isinstance(v, dict)
    ]
    summary["findings"] = [
        {k: v for k, v in f.items() if k != "evidence"}
        for f in document.get("findings") or []
        if isinstance(f, dict)
    ]
    summary["problems"] = []
    return summary
