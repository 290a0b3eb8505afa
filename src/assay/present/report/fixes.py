"""The fixes the report lists, ranked: what to change, where the evidence is, what it breaks.

Rank 0: known exploited vulnerabilities; then failed checks and vulnerabilities by severity
(act-now ones at least 1); 3: failed declared facts; 5: missing declaration input.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from assay.model.assessment import Assessment
from assay.model.check import Finding, RequirementVerdict, Verdict
from assay.model.component import Component
from assay.model.vulnerability import VulnerabilityMatch
from assay.norms.catalog import Catalog
from assay.vulns.counts import applies, counts
from assay.vulns.remedy import upgrades

SEVERITY_RANK = {"critical": 1, "high": 2, "medium": 3, "low": 4, "info": 5}
MAX_EVIDENCE = 6
MAX_IDS = 6


def build_fixes(assessment: Assessment, catalog: Catalog) -> list[Fix]:
    """Every fix, most urgent first."""
    fixes = _finding_fixes(assessment.findings, _failed_by(assessment.verdicts))
    fixes += _vulnerability_fixes(
        assessment.vulnerabilities, assessment.verdicts, assessment.components
    )
    fixes += _requirement_fixes(assessment.verdicts, catalog)
    fixes += _declaration_fixes(assessment)
    fixes.sort(key=lambda f: (f.rank, f.kind, f.title))
    return fixes


@dataclass
class Fix:
    rank: int
    severity: str
    title: str
    what: str
    how: list[str]
    evidence: list[dict[str, Any]] = field(default_factory=list)
    breaks: list[str] = field(default_factory=list)
    source: str = ""  # check id, component ref or "declaration"
    kind: int = 0  # 0 finding, 1 vulnerability, 2 declared fact, 3 missing declaration


def _failed_by(verdicts: list[RequirementVerdict]) -> dict[str, list[str]]:
    """check id -> failed requirements it decided, directly or through another requirement."""
    failed = [v for v in verdicts if v.verdict == Verdict.FAIL]
    reach: dict[str, set[str]] = defaultdict(set)  # evidence item -> failed requirement uids
    changed = True
    while changed:
        changed = False
        for v in failed:
            uid = f"{v.norm}:{v.requirement}"
            for ev in v.evidence:
                keys = [ev] if not ev.startswith("requirement:") else []
                if ev.startswith("requirement:"):
                    target = ev.split(":", 1)[1]
                    keys = [k for k, uids in reach.items() if target in uids]
                for key in keys:
                    if uid not in reach[key]:
                        reach[key].add(uid)
                        changed = True
    return {k[6:]: sorted(v) for k, v in reach.items() if k.startswith("check:")}


def _finding_fixes(findings: list[Finding], breaks: dict[str, list[str]]) -> list[Fix]:
    out = []
    for f in findings:
        if f.verdict != Verdict.FAIL:
            continue
        steps = [s.strip(" -") for s in f.fix.splitlines() if s.strip(" -")]
        evidence = [e.to_dict() for e in f.evidence[:MAX_EVIDENCE]]
        if len(f.evidence) > MAX_EVIDENCE:
            more = f"and {len(f.evidence) - MAX_EVIDENCE} more places"
            evidence.append({"path": "", "line": None, "excerpt": "", "note": more})
        out.append(
            Fix(
                rank=SEVERITY_RANK.get(f.severity, 4),
                severity=f.severity,
                title=f.title or f.check,
                what=f.summary,
                how=steps or ["See the check's documentation (docs/checks.md)."],
                evidence=evidence,
                breaks=sorted(set(breaks.get(f.check, []))),
                source=f.check,
            )
        )
    return out


def _vulnerability_fixes(
    vulns: list[VulnerabilityMatch],
    verdicts: list[RequirementVerdict],
    components: list[Component] | None = None,
) -> list[Fix]:
    known = {c.ref: c for c in components or ()}
    by_component: dict[str, list[VulnerabilityMatch]] = defaultdict(list)
    for v in vulns:
        if applies(v):  # not_affected, unversioned and suppressed are not things to fix
            by_component[v.component].append(v)
    cited: dict[str, set[str]] = defaultdict(set)
    for rv in verdicts:
        if rv.verdict == Verdict.FAIL:
            for ev in rv.evidence:
                cited[ev].add(f"{rv.norm}:{rv.requirement}")
    out = []
    advice = upgrades(vulns)
    for component, matches in by_component.items():
        matches.sort(key=_vuln_key)
        worst = matches[0]
        kev = [m for m in matches if m.kev and counts(m)]
        rank = 0 if kev else SEVERITY_RANK.get(worst.severity, 4)
        if worst.priority == "act":
            rank = min(rank, 1)
        sev = Counter(m.severity for m in matches)
        parts = [f"{n} {s}" for s in ("critical", "high", "medium", "low") if (n := sev.get(s))]
        what = f"{len(matches)} known vulnerabilities ({', '.join(parts) or 'severity unknown'})"
        if kev:
            what += f"; {len(kev)} known to be exploited (CISA KEV)"
        if component in advice:
            name = known[component].name if component in known else component
            what += f"; {advice[component].text(name)}"
        evidence = [
            {
                "path": m.id,
                "line": None,
                "excerpt": _clip(m.description or "", 160),
                "note": _vuln_note(m),
            }
            for m in matches[:MAX_IDS]
        ]
        comp = known.get(component)
        where = ", ".join(comp.locations[:3]) if comp and comp.locations else ""
        evidence.insert(0, {"path": where, "line": None, "excerpt": "", "note": component})
        if len(matches) > MAX_IDS:
            more = f"and {len(matches) - MAX_IDS} more in assessment.json"
            evidence.append({"path": "", "line": None, "excerpt": "", "note": more})
        out.append(
            Fix(
                rank=rank,
                severity="critical" if kev else worst.severity,
                title=f"Update {_name(known.get(component), component)}",
                what=what,
                how=[
                    f"Move {_name(known.get(component), component)} to a maintained release "
                    "that fixes these, or backport "
                    "the upstream patches.",
                    "If a match cannot be exploited in your build, publish a VEX statement "
                    "that says why instead of leaving it open.",
                ],
                evidence=evidence,
                breaks=sorted({r for m in matches for r in cited.get(m.id, ())}),
                source=component,
                kind=1,
            )
        )
    return out


def _requirement_fixes(verdicts: list[RequirementVerdict], catalog: Catalog) -> list[Fix]:
    """Failures decided by declared facts (no check or vulnerability behind them), grouped
    by the facts that decided them."""
    groups: dict[tuple[str, ...], list[RequirementVerdict]] = defaultdict(list)
    declared = ("declaration:", "security.txt:")
    for v in verdicts:
        if v.verdict != Verdict.FAIL:
            continue
        if not v.evidence or not all(e.startswith(declared) for e in v.evidence):
            continue  # decided by a check or a vulnerability: that fix is listed already
        groups[v.evidence].append(v)
    out = []
    for group in groups.values():
        first = group[0]
        uid = f"{first.norm}:{first.requirement}"
        more = f" (and {len(group) - 1} more)" if len(group) > 1 else ""
        out.append(
            Fix(
                rank=3,
                severity="medium",
                title=f"{first.title}{more}",
                what=first.reason,
                how=[catalog.get(uid).guidance],
                breaks=[f"{v.norm}:{v.requirement}" for v in group],
                source="declaration",
                kind=2,
            )
        )
    return out


def _declaration_fixes(assessment: Assessment) -> list[Fix]:
    waiting = [v for v in assessment.verdicts if v.verdict == Verdict.NEEDS_DECLARATION]
    if not waiting:
        return []
    wanted = [
        m.split(":", 1)[1] for v in waiting for m in v.missing if m.startswith("declaration:")
    ]
    fields = Counter(w for w in wanted if not w.startswith("statements."))
    statements = sorted({w.split(".", 1)[1] for w in wanted if w.startswith("statements.")})
    top = [f"{name} (decides {n})" for name, n in fields.most_common(10)]
    if statements:
        shown = ", ".join(statements[:12]) + (" ..." if len(statements) > 12 else "")
        top.append(f"statements on {len(statements)} requirements ({shown})")
    if assessment.declaration is None:
        title = "Write a manufacturer's declaration"
        how = [
            "Run `assay declaration init --out declaration.yaml`, fill in the facts, check it "
            "with `assay declaration check declaration.yaml`.",
            "Scan again with `assay scan IMAGE --declaration declaration.yaml`.",
        ]
    else:
        title = "Complete the manufacturer's declaration"
        how = ["Add the missing fields, most needed first: " + "; ".join(top) + "."]
    what = f"{len(waiting)} requirements cannot be decided without facts only you can give"
    return [Fix(5, "info", title, what, how, source="declaration", kind=3)]


def _vuln_key(m: VulnerabilityMatch) -> tuple[int, int, float, str]:
    return (
        0 if m.kev else 1,
        0 if m.priority == "act" else 1,
        -(m.cvss_score or 0.0),
        m.id,
    )


def _vuln_note(m: VulnerabilityMatch) -> str:
    bits = [m.severity]
    if m.cvss_score is not None:
        bits.append(f"CVSS {m.cvss_score:.1f}")
    if m.kev:
        bits.append("KEV")
    if m.epss is not None:
        bits.append(f"EPSS {m.epss:.2f}")
    if m.conditional:
        bits.append("conditional")
    return ", ".join(bits)


def _name(component: Component | None, ref: str) -> str:
    return f"{component.name} {component.version}" if component else ref


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"
