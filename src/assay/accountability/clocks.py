"""CRA Article 14 reporting clocks for actively exploited vulnerabilities.

Pure functions: every function that needs "now" takes it as an argument. The rules (see
docs/accountability.md): the clock starts when the manufacturer becomes aware, but not before
the reporting obligation applies (11 September 2026); early warning is due 24 hours later,
the vulnerability notification 72 hours later, and the final report 14 days after a
corrective or mitigating measure is available (no due date until one is).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from assay.vulns.counts import counts

OBLIGATION_STARTS = datetime(2026, 9, 11, tzinfo=UTC)
EARLY_WARNING = timedelta(hours=24)
NOTIFICATION = timedelta(hours=72)
FINAL_REPORT = timedelta(days=14)
STAGES = ("early_warning", "notification", "final_report")
STAGE_TITLES = {
    "early_warning": "Early warning",
    "notification": "Vulnerability notification",
    "final_report": "Final report",
}


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class ReportCase:
    """One actively exploited vulnerability in one product, from awareness to final report."""

    product: str  # manufacturer and model, e.g. "TP-Link TL-WR703N"
    versions_affected: tuple[str, ...]  # firmware versions that carry it
    vulnerability: str  # CVE id
    aware_at: datetime  # when the manufacturer knew (or was told by Assay)
    exploitation: str  # the evidence of active exploitation (e.g. the KEV entry)
    description: str = ""
    severity: str = ""
    cvss: str = ""
    component: str = ""  # the component that carries it, e.g. "linux 3.3.8"
    mitigation: str = ""  # what users can do now
    fix_available_at: datetime | None = None  # a corrective or mitigating measure exists
    fixed_in: str = ""  # the firmware version that fixes it
    member_states: tuple[str, ...] = ()  # where the product is made available
    actor: str = ""  # malicious actor, when known
    submitted: tuple[tuple[str, datetime], ...] = field(default=())  # (stage, when)

    @property
    def clock_start(self) -> datetime:
        return max(_utc(self.aware_at), OBLIGATION_STARTS)


@dataclass(frozen=True)
class Deadline:
    stage: str
    due: datetime | None  # None: not due yet (final report waits for a fix)
    submitted_at: datetime | None

    def state(self, now: datetime) -> str:
        """submitted | submitted_late | overdue | open | waiting_for_fix."""
        if self.submitted_at is not None:
            late = self.due is not None and _utc(self.submitted_at) > self.due
            return "submitted_late" if late else "submitted"
        if self.due is None:
            return "waiting_for_fix"
        return "overdue" if _utc(now) > self.due else "open"

    def to_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "title": STAGE_TITLES[self.stage],
            "due": self.due.isoformat() if self.due else None,
            "submitted_at": self.submitted_at.isoformat() if self.submitted_at else None,
            "state": self.state(now),
            "hours_left": _hours(self.due - _utc(now)) if self.due else None,
        }


def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 1)


def deadlines(case: ReportCase) -> tuple[Deadline, ...]:
    """The three deadlines of a case, with what has been submitted."""
    start = case.clock_start
    done = {stage: _utc(when) for stage, when in case.submitted}
    final_due = None
    if case.fix_available_at is not None:
        final_due = max(_utc(case.fix_available_at), start) + FINAL_REPORT
    return (
        Deadline("early_warning", start + EARLY_WARNING, done.get("early_warning")),
        Deadline("notification", start + NOTIFICATION, done.get("notification")),
        Deadline("final_report", final_due, done.get("final_report")),
    )


def next_due(case: ReportCase, now: datetime) -> Deadline | None:
    """The first report not yet submitted (overdue ones first); None when all are in."""
    for deadline in deadlines(case):
        if deadline.submitted_at is None:
            return deadline
    return None


def with_submission(case: ReportCase, stage: str, when: datetime) -> ReportCase:
    if stage not in STAGES:
        raise ValueError(f"unknown report stage {stage!r}")
    return replace(case, submitted=(*case.submitted, (stage, _utc(when))))


def cases_from_assessment(
    assessment: dict[str, Any],
    kev: dict[str, dict[str, Any]],
    aware_at: datetime,
    *,
    member_states: tuple[str, ...] = (),
) -> list[ReportCase]:
    """One case per vulnerability match of the assessment that is in the KEV catalogue.

    ``kev`` maps CVE ids to CISA KEV entries (``cveID``, ``dateAdded``, ``vulnerabilityName``,
    ``requiredAction``, ``knownRansomwareCampaignUse``).
    """
    identity = assessment.get("identity") or {}
    declaration = assessment.get("declaration") or {}
    maker = declaration.get("manufacturer")
    maker = maker.get("name") if isinstance(maker, dict) else maker
    product = " ".join(
        str(p) for p in (maker or identity.get("vendor"), identity.get("model")) if p
    )
    version = " ".join(
        str(p)
        for p in (identity.get("os_name"), identity.get("os_version"), identity.get("os_build"))
        if p
    )
    names = {
        str(
            c.get("purl") or f"{c.get('name')}@{c.get('version')}"
        ): f"{c.get('name')} {c.get('version')}"
        for c in assessment.get("components") or []
    }
    out: dict[str, ReportCase] = {}
    for match in assessment.get("vulnerabilities") or []:
        ids = [str(match.get("id", "")), *(str(a) for a in match.get("aliases") or [])]
        entry = next((kev[i] for i in ids if i in kev), None)
        if entry is None or entry["cveID"] in out or not counts(match):
            continue
        ransomware = str(entry.get("knownRansomwareCampaignUse", "Unknown"))
        out[entry["cveID"]] = ReportCase(
            product=product or str((assessment.get("target") or {}).get("name", "product")),
            versions_affected=(version,) if version else (),
            vulnerability=entry["cveID"],
            aware_at=aware_at,
            exploitation=(
                f"Actively exploited: in CISA's Known Exploited Vulnerabilities catalogue since "
                f"{entry.get('dateAdded')} ({entry.get('vulnerabilityName', '')}); "
                f"known use in ransomware campaigns: {ransomware}"
            ),
            description=str(match.get("description") or entry.get("shortDescription") or ""),
            severity=str(match.get("severity") or ""),
            cvss=str(match.get("cvss_vector") or ""),
            component=names.get(str(match.get("component")), str(match.get("component", ""))),
            mitigation=str(entry.get("requiredAction") or ""),
            member_states=member_states,
        )
    return [out[k] for k in sorted(out)]
