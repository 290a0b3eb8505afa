"""The content of each CRA Article 14 report, as JSON-ready dicts and as text."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from assay.accountability.clocks import STAGE_TITLES, ReportCase, deadlines, next_due

# which facts each stage carries (later stages repeat the earlier ones and add their own)
STAGE_FIELDS = {
    "early_warning": (
        "product",
        "versions_affected",
        "vulnerability",
        "exploitation",
        "member_states",
        "aware_at",
    ),
    "notification": (
        "component",
        "description",
        "severity",
        "cvss",
        "mitigation",
    ),
    "final_report": (
        "fixed_in",
        "fix_available_at",
        "actor",
    ),
}
LABELS = {
    "product": "Product",
    "versions_affected": "Versions affected",
    "vulnerability": "Vulnerability",
    "exploitation": "Exploitation status",
    "member_states": "Member States where it is made available",
    "aware_at": "Manufacturer aware since",
    "component": "Affected component",
    "description": "Nature of the vulnerability",
    "severity": "Severity",
    "cvss": "CVSS vector",
    "mitigation": "Corrective or mitigating measures (for users now)",
    "fixed_in": "Security update that fixes it",
    "fix_available_at": "Fix available since",
    "actor": "Malicious actor (if known)",
}


def _value(case: ReportCase, name: str) -> Any:
    value = getattr(case, name)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def report(case: ReportCase, stage: str, now: datetime) -> dict[str, Any]:
    """What to submit for ``stage``; missing facts are listed, not invented."""
    names: list[str] = []
    for key in STAGE_FIELDS:
        names.extend(STAGE_FIELDS[key])
        if key == stage:
            break
    else:
        raise ValueError(f"unknown report stage {stage!r}")
    content = {name: _value(case, name) for name in names}
    missing = [name for name, value in content.items() if value in ("", [], None)]
    deadline = next(d for d in deadlines(case) if d.stage == stage)
    return {
        "stage": stage,
        "title": STAGE_TITLES[stage],
        "deadline": deadline.to_dict(now),
        "content": content,
        "missing": missing,
    }


def case_summary(case: ReportCase, now: datetime) -> dict[str, Any]:
    """The case with its deadlines and what is due next."""
    nxt = next_due(case, now)
    return {
        "product": case.product,
        "vulnerability": case.vulnerability,
        "clock_start": case.clock_start.isoformat(),
        "deadlines": [d.to_dict(now) for d in deadlines(case)],
        "next_due": nxt.to_dict(now) if nxt else None,
    }


def report_text(case: ReportCase, stage: str, now: datetime) -> str:
    """The report as plain text, ready to paste into the single reporting platform."""
    data = report(case, stage, now)
    lines = [f"{data['title']}: {case.vulnerability} in {case.product}"]
    due = data["deadline"]
    lines.append(f"Due: {due['due'] or 'when a fix or mitigation is available'} ({due['state']})")
    for name, value in data["content"].items():
        shown = ", ".join(value) if isinstance(value, list) else value
        lines.append(f"{LABELS[name]}: {shown if shown not in ('', None) else '(not known)'}")
    if data["missing"]:
        lines.append("Still to fill in: " + ", ".join(LABELS[m] for m in data["missing"]))
    return "\n".join(lines)
