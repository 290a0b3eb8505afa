"""Security-by-default checks: static advisory + a verdict with evidence."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    INCONCLUSIVE = "INCONCLUSIVE"
    NEEDS_DECLARATION = "NEEDS_DECLARATION"
    NEEDS_LAB = "NEEDS_LAB"


@dataclass(frozen=True)
class Evidence:
    """Where a check looked and what it saw (path inside the image, line, short excerpt)."""

    path: str
    line: int | None = None
    excerpt: str = ""
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "excerpt": self.excerpt, "note": self.note}


@dataclass(frozen=True)
class Finding:
    """The result of one check on one image."""

    check: str
    verdict: Verdict
    severity: str
    title: str = ""
    summary: str = ""
    fix: str = ""
    evidence: tuple[Evidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "verdict": str(self.verdict),
            "severity": self.severity,
            "title": self.title,
            "summary": self.summary,
            "fix": self.fix,
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(frozen=True)
class RequirementVerdict:
    """A verdict on one requirement of one norm, with what decided it."""

    norm: str
    requirement: str
    verdict: Verdict
    title: str = ""
    reason: str = ""
    evidence: tuple[str, ...] = ()  # check ids / declaration fields / vuln ids that decided it
    missing: tuple[str, ...] = ()  # inputs that were missing

    def to_dict(self) -> dict[str, Any]:
        return {
            "norm": self.norm,
            "requirement": self.requirement,
            "verdict": str(self.verdict),
            "title": self.title,
            "reason": self.reason,
            "evidence": list(self.evidence),
            "missing": list(self.missing),
        }
