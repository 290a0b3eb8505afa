"""``--fail-on``: which items make a scan exit 1, each with the reason it tripped the gate.

Rules (repeat the option or separate them with commas; any rule that trips fails the scan):

=====================  ==============================================================
``none``               never fail (the default)
``low`` … ``critical``  a counting vulnerability *or* a failed check at or above it
``vuln:SEVERITY``      only vulnerabilities at or above ``SEVERITY``
``check:SEVERITY``     only failed checks at or above ``SEVERITY``
``kev``                a counting known-exploited vulnerability
``epss:P``             a counting vulnerability whose EPSS probability is at least ``P``
``norm:KEY``           a FAIL on a mandatory requirement of norm ``KEY`` (``en303645``,
                       ``cra``, ``psti``, ``nistir8425``; ``norm:any`` for all of them)
=====================  ==============================================================

Which vulnerability matches count (not ``not_affected``, no unsettled platform condition) is
decided by :func:`counts`, the one call to the vulnerability stage's rule.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from assay.errors import UsageError
from assay.model.assessment import Assessment
from assay.model.check import Verdict
from assay.model.vulnerability import VulnerabilityMatch

SEVERITIES = ("none", "low", "medium", "high", "critical")
HELP = (
    "Exit 1 when an item trips a rule: low|medium|high|critical (vulnerabilities and failed "
    "checks), vuln:SEV, check:SEV, kev, epss:0.5, norm:cra (norm:any). Repeatable."
)


@dataclass(frozen=True)
class Rule:
    kind: str  # severity | vuln | check | kev | epss | norm
    value: str = ""

    def __str__(self) -> str:
        return self.value if self.kind == "severity" else f"{self.kind}:{self.value}".rstrip(":")


@dataclass(frozen=True)
class Trip:
    """One item that tripped a rule."""

    rule: str  # the rule as written
    kind: str  # vulnerability | check | norm
    item: str  # CVE id on component / check id / norm:requirement
    reason: str

    def line(self) -> str:
        return f"{self.kind} {self.item}: {self.reason} (--fail-on {self.rule})"


def counts(match: VulnerabilityMatch) -> bool:
    """Whether a match counts toward ``--fail-on`` (and in the table and SARIF): the
    vulnerability stage's one rule (``assay.vulns.counts.counts``) when it is there, else: no
    unsettled platform condition."""
    module = _vulns_counts()
    if module is None:
        return not match.conditional
    rule: Callable[[Any], bool] = module.counts
    return rule(match)


def why_not(match: VulnerabilityMatch) -> str:
    """Why a match does not count ("" when it does), in the vulnerability stage's words."""
    module = _vulns_counts()
    if module is None:
        if match.conditional:
            return "a platform condition the identity and the declaration could not settle"
        return ""
    explain: Callable[[Any], str] = module.why_not
    return explain(match)


@cache
def _vulns_counts() -> Any:
    """``assay.vulns.counts`` (the one rule for what counts), or None before it exists."""
    try:
        return importlib.import_module("assay.vulns.counts")
    except ImportError:
        return None


def parse_rules(values: Iterable[str]) -> list[Rule]:
    """The rules of ``--fail-on`` values; ``UsageError`` names a bad one."""
    rules: list[Rule] = []
    for value in values:
        for raw in value.split(","):
            text = raw.strip().lower()
            if not text or text == "none":
                continue
            rules.append(_rule(text))
    return rules


def _rule(text: str) -> Rule:
    hint = "use e.g. high, check:medium, vuln:critical, kev, epss:0.5 or norm:cra"
    if text in SEVERITIES:
        return Rule("severity", text)
    if text == "kev":
        return Rule("kev")
    kind, _, value = text.partition(":")
    if kind in ("vuln", "check") and value in SEVERITIES[1:]:
        return Rule(kind, value)
    if kind == "epss":
        try:
            threshold = float(value)
        except ValueError:
            threshold = -1.0
        if 0.0 <= threshold <= 1.0:
            return Rule("epss", value)
        raise UsageError(f"--fail-on {text}: EPSS is a probability from 0 to 1", hint)
    if kind == "norm" and value:
        from assay.norms import load_catalog

        keys = [n.key for n in load_catalog().norms]
        if value == "any" or value in keys:
            return Rule("norm", value)
        raise UsageError(f"--fail-on {text}: no norm {value!r}", f"known: {', '.join(keys)}")
    raise UsageError(f"--fail-on {text}: not a rule", hint)


def _at_least(severity: str, floor: str) -> bool:
    level = severity.lower()
    return level in SEVERITIES and SEVERITIES.index(level) >= SEVERITIES.index(floor)


def tripped(assessment: Assessment, rules: Iterable[Rule]) -> list[Trip]:
    """Every item that trips one of ``rules``, in rule order, each item once per rule."""
    trips: list[Trip] = []
    live = [m for m in assessment.vulnerabilities if counts(m)]
    names = {c.ref: f"{c.name}@{c.version}" if c.version else c.name for c in assessment.components}

    def _vuln(match: VulnerabilityMatch) -> str:
        return f"{match.id} on {names.get(match.component, match.component)}"

    failed = [f for f in assessment.findings if f.verdict == Verdict.FAIL]
    for rule in rules:
        name = str(rule)
        if rule.kind in ("severity", "vuln"):
            trips += [
                Trip(name, "vulnerability", _vuln(m), f"severity {m.severity}")
                for m in live
                if _at_least(m.severity, rule.value)
            ]
        if rule.kind in ("severity", "check"):
            trips += [
                Trip(name, "check", f.check, f"failed, severity {f.severity}")
                for f in failed
                if _at_least(f.severity, rule.value)
            ]
        if rule.kind == "kev":
            trips += [
                Trip(name, "vulnerability", _vuln(m), "known exploited") for m in live if m.kev
            ]
        if rule.kind == "epss":
            floor = float(rule.value)
            trips += [
                Trip(name, "vulnerability", _vuln(m), f"EPSS {m.epss:.3f}")
                for m in live
                if m.epss is not None and m.epss >= floor
            ]
        if rule.kind == "norm":
            trips += _norm_trips(assessment, rule)
    return _unique(trips)


def _norm_trips(assessment: Assessment, rule: Rule) -> list[Trip]:
    from assay.norms import load_catalog

    catalog = load_catalog()
    binding = {
        r.uid
        for r in catalog.requirements(None if rule.value == "any" else rule.value)
        if r.status == "mandatory" or (r.status == "conditional" and r.strength == "mandatory")
    }
    return [
        Trip(str(rule), "norm", f"{v.norm}:{v.requirement}", f"FAIL: {v.title or v.reason}")
        for v in assessment.verdicts
        if v.verdict == Verdict.FAIL and f"{v.norm}:{v.requirement}" in binding
    ]


def _unique(trips: list[Trip]) -> list[Trip]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for trip in trips:
        key = (trip.rule, trip.kind, trip.item)
        if key not in seen:
            seen.add(key)
            out.append(trip)
    return out
