"""What a check is: static metadata readable without running, and ``run(ctx) -> Finding``.

A check's metadata lives in ``data/checks.yaml`` (one entry per id); the code of a check is a
plain function ``(CheckContext) -> Outcome``. ``FunctionCheck`` binds the two and turns the
outcome into a ``Finding`` that carries the check's id, severity, title and fix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Protocol, runtime_checkable

from assay.errors import AssayError
from assay.model.check import Evidence, Finding, Verdict
from assay.safeload import packaged_yaml

SEVERITIES = ("critical", "high", "medium", "low", "info")
NORMS = ("EN303645", "CRA", "PSTI")


@dataclass(frozen=True)
class CheckInfo:
    """The static advisory of one check."""

    id: str
    title: str
    rationale: str
    fix: str
    severity: str
    serves: tuple[str, ...]

    @property
    def category(self) -> str:
        return self.id.split(".", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "severity": self.severity,
            "serves": list(self.serves),
            "rationale": self.rationale,
            "fix": self.fix,
        }


@dataclass(frozen=True)
class Outcome:
    """What a check function returns: a verdict, one sentence saying why, and the evidence."""

    verdict: Verdict
    summary: str
    evidence: tuple[Evidence, ...] = ()


def passed(summary: str, *evidence: Evidence) -> Outcome:
    return Outcome(Verdict.PASS, summary, evidence)


def failed(summary: str, *evidence: Evidence) -> Outcome:
    return Outcome(Verdict.FAIL, summary, evidence)


def not_applicable(summary: str, *evidence: Evidence) -> Outcome:
    return Outcome(Verdict.NOT_APPLICABLE, summary, evidence)


def inconclusive(summary: str, *evidence: Evidence) -> Outcome:
    return Outcome(Verdict.INCONCLUSIVE, summary, evidence)


@runtime_checkable
class Check(Protocol):
    """A security-by-default check: metadata plus one verb."""

    @property
    def id(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def rationale(self) -> str: ...

    @property
    def fix(self) -> str: ...

    @property
    def severity(self) -> str: ...

    @property
    def serves(self) -> tuple[str, ...]: ...

    @property
    def info(self) -> CheckInfo: ...

    def run(self, ctx: Any) -> Finding:
        """Look at the image (a ``CheckContext``); never raise for a bad image, say so."""
        ...


@dataclass(frozen=True)
class FunctionCheck:
    """A check made of its metadata (from checks.yaml) and a function."""

    info: CheckInfo
    func: Callable[[Any], Outcome]

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def title(self) -> str:
        return self.info.title

    @property
    def rationale(self) -> str:
        return self.info.rationale

    @property
    def fix(self) -> str:
        return self.info.fix

    @property
    def severity(self) -> str:
        return self.info.severity

    @property
    def serves(self) -> tuple[str, ...]:
        return self.info.serves

    def run(self, ctx: Any) -> Finding:
        return self.finding(self.func(ctx))

    def finding(self, outcome: Outcome) -> Finding:
        return Finding(
            check=self.info.id,
            verdict=outcome.verdict,
            severity=self.info.severity,
            title=self.info.title,
            summary=outcome.summary,
            fix=self.info.fix,
            evidence=outcome.evidence,
        )


@cache
def load_metadata() -> dict[str, CheckInfo]:
    """Every check's metadata from ``data/checks.yaml``, validated."""
    text = resources.files("assay.checks").joinpath("data/checks.yaml").read_text("utf-8")
    raw = packaged_yaml(text)
    if not isinstance(raw, dict):
        raise AssayError("checks.yaml is not a mapping", hint="reinstall assay")
    out: dict[str, CheckInfo] = {}
    for check_id, entry in raw.items():
        out[check_id] = _info(str(check_id), entry)
    return out


def _info(check_id: str, entry: Any) -> CheckInfo:
    if not isinstance(entry, dict):
        raise AssayError(f"checks.yaml: {check_id} is not a mapping", hint="reinstall assay")
    missing = [k for k in ("title", "rationale", "fix", "severity", "serves") if k not in entry]
    if missing:
        raise AssayError(f"checks.yaml: {check_id} lacks {', '.join(missing)}")
    if entry["severity"] not in SEVERITIES:
        raise AssayError(f"checks.yaml: {check_id} has unknown severity {entry['severity']!r}")
    serves = tuple(str(s) for s in entry["serves"])
    bad = [s for s in serves if s.split(":", 1)[0] not in NORMS or ":" not in s]
    if bad:
        raise AssayError(f"checks.yaml: {check_id} serves unknown requirement refs {bad}")
    return CheckInfo(
        id=check_id,
        title=str(entry["title"]),
        rationale=" ".join(str(entry["rationale"]).split()),
        fix=str(entry["fix"]).strip(),
        severity=str(entry["severity"]),
        serves=serves,
    )
