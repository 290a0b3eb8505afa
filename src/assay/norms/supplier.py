"""The ``supplier_sbom`` leaf: a supplier's SBOM was provided and matches the product.

Its evidence is the comparison ``assay scan --supplier-sbom`` (or the registry) stores under
``facts["supplier_sbom"]`` (``assay.supply.compare.Comparison.summary()``). This module reads
that dict only: the norms stage never imports the supply package.

- PASS: an SBOM was compared, its fidelity is at least the minimum the norms data names, and
  the image holds no component the SBOM leaves out.
- FAIL: fidelity below the minimum, or an undeclared component (the evidence names them).
- INCONCLUSIVE: no SBOM was provided, or nothing could be measured to compare it with.

A component the SBOM declares but the image does not show is reported, not failed: it may be
one Assay cannot see (a bootloader, radio firmware).
"""

from __future__ import annotations

import re
from typing import Any

from assay.model.check import Verdict

ARGUMENT = re.compile(r"fidelity\s*>=\s*(0(?:\.\d+)?|1(?:\.0+)?)$")
EVIDENCE = "supplier-sbom"

Result = tuple[Verdict, tuple[str, ...], tuple[str, ...], tuple[str, ...]]


def min_fidelity(argument: str) -> float | None:
    """The minimum of ``fidelity >= X`` (0..1), or None when the argument is not that form."""
    found = ARGUMENT.match(argument.strip())
    return float(found.group(1)) if found else None


def judge(fact: Any, minimum: float) -> Result:
    """(verdict, reasons, evidence, missing) of one supplier-SBOM comparison summary."""
    need = (f"{EVIDENCE}:fidelity>={minimum:g}",)
    if not isinstance(fact, dict):
        why = "no supplier SBOM was provided to compare with the image (assay scan --supplier-sbom)"
        return Verdict.INCONCLUSIVE, (why,), (), need
    name = str(fact.get("path") or "the supplier SBOM")
    evidence = (f"{EVIDENCE}:{name}",)
    fidelity = fact.get("fidelity")
    measured = int(fact.get("measured") or 0)
    if not isinstance(fidelity, int | float) or not measured:
        why = f"{name}: nothing was measured in the image to compare it with"
        return Verdict.INCONCLUSIVE, (why,), evidence, need
    raw = fact.get("counts")
    counts: dict[str, Any] = raw if isinstance(raw, dict) else {}
    shown = f"{name} states {fact.get('correct', 0)} of {measured} components correctly "
    shown += f"(fidelity {fidelity:.2f}, minimum {minimum:g})"
    undeclared = _names(fact, "undeclared", counts)
    problems = []
    if int(counts.get("undeclared") or 0):
        problems.append(f"{counts['undeclared']} in the image but not in it: {undeclared}")
    wrong = {k: v for k, v in counts.items() if v and k in ("version", "hash", "license")}
    if fidelity < minimum and (wrong or not problems):
        problems.append("stated wrongly: " + _counted(wrong) if wrong else "fidelity too low")
    notes = []
    if int(counts.get("declared-absent") or 0):
        absent = _names(fact, "declared-absent", counts)
        notes.append(f"declared but not seen in the image (check by hand): {absent}")
    if int(fact.get("unchecked_hashes") or 0):
        notes.append(f"{fact['unchecked_hashes']} declared hashes not checked (no unpacked image)")
    if problems:
        return Verdict.FAIL, (f"{shown}; " + "; ".join(problems), *notes), evidence, ()
    return Verdict.PASS, (shown, *notes), evidence, ()


def _names(fact: dict[str, Any], kind: str, counts: dict[str, Any]) -> str:
    """The first mismatches of one kind by name (the summary keeps a bounded list)."""
    names = [
        f"{m.get('name')} {m.get('measured') or m.get('declared') or ''}".strip()
        for m in fact.get("mismatches") or []
        if isinstance(m, dict) and m.get("kind") == kind
    ]
    total = max(len(names), int(counts.get(kind) or 0))
    return ", ".join(names[:8]) + (f" and {total - 8} more" if total > 8 else "")


def _counted(counts: dict[str, Any]) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in counts.items())
