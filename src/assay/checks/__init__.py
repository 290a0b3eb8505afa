"""Security-by-default checks on the unpacked image.

``run_checks(rootfs, assessment)`` runs every built-in check once over all root filesystems of
the image and returns one ``Finding`` per check. A check that crashes becomes an INCONCLUSIVE
finding that says why; it never stops the run. The list of checks and what each serves is in
``docs/checks.md`` (generated from ``data/checks.yaml``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable

from assay.checks.context import CheckContext
from assay.checks.interface import Check, CheckInfo, FunctionCheck, Outcome
from assay.checks.registry import builtin_checks, get_check
from assay.extract.rootfs import RootFS
from assay.model.assessment import Assessment
from assay.model.check import Finding, Verdict

__all__ = [
    "Check",
    "CheckContext",
    "CheckInfo",
    "FunctionCheck",
    "Outcome",
    "builtin_checks",
    "get_check",
    "run_checks",
    "run_context",
]


def run_checks(rootfs: list[RootFS], assessment: Assessment) -> list[Finding]:
    """Run every built-in check on the image's root filesystems; one finding per check."""
    ctx = CheckContext(
        rootfs=list(rootfs),
        components=list(assessment.components),
        identity=assessment.identity,
    )
    return run_context(ctx)


def run_context(
    ctx: CheckContext,
    checks: Iterable[FunctionCheck] | None = None,
    timings: dict[str, float] | None = None,
) -> list[Finding]:
    """Run the given checks (default: all built-ins) on a context; record seconds per check."""
    findings = []
    for check in builtin_checks() if checks is None else checks:
        start = time.perf_counter()
        findings.append(_run_one(check, ctx))
        if timings is not None:
            timings[check.id] = time.perf_counter() - start
    return findings


def _run_one(check: FunctionCheck, ctx: CheckContext) -> Finding:
    if not ctx.rootfs:
        return check.finding(Outcome(Verdict.INCONCLUSIVE, "No root filesystem was unpacked."))
    try:
        finding = check.run(ctx)
    except Exception as err:  # a broken check must not break the scan: say so instead
        reason = f"the check failed: {type(err).__name__}: {err}".splitlines()[0][:300]
        return check.finding(Outcome(Verdict.INCONCLUSIVE, reason))
    if ctx.thin and finding.verdict in (Verdict.PASS, Verdict.NOT_APPLICABLE):
        # absence of evidence is not evidence of absence
        summary = f"Cannot decide: {ctx.thin} (the check alone said: {finding.summary})"
        return dataclasses.replace(finding, verdict=Verdict.INCONCLUSIVE, summary=summary)
    return finding
