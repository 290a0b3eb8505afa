"""Give every requirement of every norm a verdict, with the evidence or missing input behind it.

Fail closed: a leaf with no evidence yields INCONCLUSIVE, NEEDS_DECLARATION or NEEDS_LAB,
never PASS. ``all_of`` passes only when every child passes (NOT_APPLICABLE children are
neutral); ``any_of`` passes when one child passes, fails only when every child fails, and
otherwise reports its first undecided child (so the data's order says what to ask for).
A manufacturer's own statement that a requirement is not met makes it FAIL whatever else
the tree says.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from assay.model.assessment import Assessment
from assay.model.check import Finding, RequirementVerdict, Verdict
from assay.norms.catalog import Catalog, Requirement, load_catalog
from assay.norms.expr import AllOf, Leaf, Node
from assay.vulns.counts import applies, counts

PENDING = (Verdict.NEEDS_DECLARATION, Verdict.NEEDS_LAB, Verdict.INCONCLUSIVE)
STATEMENT_STATUSES = ("met", "not-met", "not-applicable")


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    reasons: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


def evaluate(
    assessment: Assessment, catalog: Catalog | None = None, today: dt.date | None = None
) -> list[RequirementVerdict]:
    """One verdict for every requirement in the catalogue, in catalogue order."""
    ctx = _Context(assessment, catalog or load_catalog(), today or dt.date.today())
    return [ctx.verdict(req) for req in ctx.catalog.requirements()]


class _Context:
    def __init__(self, assessment: Assessment, catalog: Catalog, today: dt.date) -> None:
        self.catalog = catalog
        self.today = today
        self.declaration = assessment.declaration
        self.findings: dict[str, list[Finding]] = {}
        for f in assessment.findings:
            self.findings.setdefault(f.check, []).append(f)
        facts = assessment.facts
        self.checks_ran = bool(assessment.findings) or "checks" in facts
        self.vulns = assessment.vulnerabilities
        # the pipeline records the store it matched against, even when nothing matched
        self.vulns_ran = bool(self.vulns) or "vulnerability_store" in facts or "vulns" in facts
        self.components = len(assessment.components)
        self.supplier_sbom = facts.get("supplier_sbom")
        self._memo: dict[str, Outcome] = {}

    def verdict(self, req: Requirement) -> RequirementVerdict:
        out = self.requirement(req)
        return RequirementVerdict(
            norm=req.norm,
            requirement=req.id,
            verdict=out.verdict,
            title=req.title,
            reason="; ".join(out.reasons),
            evidence=out.evidence,
            missing=out.missing,
        )

    def requirement(self, req: Requirement) -> Outcome:
        if req.uid not in self._memo:
            self._memo[req.uid] = self._decide(req)
        return self._memo[req.uid]

    def _decide(self, req: Requirement) -> Outcome:
        own = self._statement(req)
        if own.verdict == Verdict.FAIL:  # the manufacturer's own "not met" settles it
            return own
        if req.applies_if is not None:
            cond = self.node(req.applies_if, req)
            if cond.verdict in (Verdict.FAIL, Verdict.NOT_APPLICABLE):
                why = "; ".join(cond.reasons)
                return Outcome(Verdict.NOT_APPLICABLE, (f"does not apply: {why}",), cond.evidence)
            out = self.node(req.decided_by, req)
            if cond.verdict in PENDING and out.verdict == Verdict.FAIL:
                note = "applies unless the declaration says otherwise"
                return Outcome(out.verdict, (*out.reasons, note), out.evidence, cond.missing)
            return out
        return self.node(req.decided_by, req)

    # -- the tree ---------------------------------------------------------------------------

    def node(self, node: Node, req: Requirement) -> Outcome:
        if isinstance(node, Leaf):
            return self.leaf(node, req)
        outs = [self.node(c, req) for c in node.children]
        return _all_of(outs) if isinstance(node, AllOf) else _any_of(outs)

    def leaf(self, leaf: Leaf, req: Requirement) -> Outcome:
        kind, arg = leaf.kind, leaf.arg
        if kind == "check":
            return self._check(arg)
        if kind.startswith("declared"):
            return self._declared(kind, arg)
        if kind == "statement":
            return self._statement(req if arg == "self" else self.catalog.get(arg))
        if kind == "requirement":
            other = self.requirement(self.catalog.get(arg))
            reasons = tuple(f"{arg}: {r}" for r in other.reasons) or (f"{arg}: {other.verdict}",)
            return Outcome(other.verdict, reasons, (f"requirement:{arg}",), other.missing)
        if kind == "vulns":
            return self._vulns(arg)
        if kind == "sbom":
            if self.components:
                why = f"the image inventory lists {self.components} components"
                return Outcome(Verdict.PASS, (why,), ("sbom:components",))
            why = "no components were inventoried, so no SBOM can be produced"
            return Outcome(Verdict.INCONCLUSIVE, (why,), (), ("sbom:components",))
        if kind == "security_txt":
            return self._security_txt()
        if kind == "supplier_sbom":
            return self._supplier_sbom(arg)
        # lab / network: only a test of the device can decide
        where = "a lab" if kind == "lab" else "a network test of the running device"
        return Outcome(Verdict.NEEDS_LAB, (f"needs {where}: {arg}",), (), (f"{kind}:{arg}",))

    # -- leaves -----------------------------------------------------------------------------

    def _check(self, check_id: str) -> Outcome:
        found = self.findings.get(check_id)
        ev = (f"check:{check_id}",)
        if not found:
            why = f"check {check_id} did not run" if self.checks_ran else "the checks did not run"
            return Outcome(Verdict.INCONCLUSIVE, (why,), (), ev)
        verdicts = {f.verdict for f in found}
        for v in (Verdict.FAIL, Verdict.INCONCLUSIVE, Verdict.PASS, Verdict.NOT_APPLICABLE):
            if v in verdicts:
                picked = [f for f in found if f.verdict == v]
                text = "; ".join(_finding_text(f) for f in picked)
                return Outcome(v, (f"{check_id} {v}: {text}",), ev)
        return Outcome(Verdict.INCONCLUSIVE, (f"{check_id} gave no usable verdict",), (), ev)

    def _declared(self, kind: str, path: str) -> Outcome:
        ev = (f"declaration:{path}",)
        value = lookup(self.declaration, path)
        if value is None or value == "":
            why = "no declaration given" if self.declaration is None else f"{path} is not declared"
            return Outcome(Verdict.NEEDS_DECLARATION, (why,), (), ev)
        if kind == "declared_any":
            if not isinstance(value, list):
                return Outcome(Verdict.INCONCLUSIVE, (f"{path} is not a list",), ev)
            listed = Verdict.PASS if value else Verdict.FAIL
            return Outcome(listed, (f"declared {path} = {_short(value)}",), ev)
        if kind == "declared":
            return Outcome(Verdict.PASS, (f"declared {path} = {_short(value)}",), ev)
        if kind in ("declared_true", "declared_false"):
            if not isinstance(value, bool):
                return Outcome(Verdict.INCONCLUSIVE, (f"{path} is not true/false",), ev)
            good = value is (kind == "declared_true")
            return Outcome(
                Verdict.PASS if good else Verdict.FAIL, (f"declared {path} = {value}",), ev
            )
        date = _as_date(value)
        if date is None:
            return Outcome(Verdict.INCONCLUSIVE, (f"{path} is not a date: {_short(value)}",), ev)
        if date < self.today:
            return Outcome(Verdict.FAIL, (f"{path} {date.isoformat()} has passed",), ev)
        return Outcome(Verdict.PASS, (f"declared {path} = {date.isoformat()}",), ev)

    def _statement(self, req: Requirement) -> Outcome:
        statements = lookup(self.declaration, "statements") or {}
        st = statements.get(req.uid) if isinstance(statements, dict) else None
        ev = (f"declaration:statements.{req.uid}",)
        if not isinstance(st, dict) or st.get("status") not in STATEMENT_STATUSES:
            why = "no declaration given" if self.declaration is None else "no statement declared"
            return Outcome(Verdict.NEEDS_DECLARATION, (why,), (), ev)
        said = str(st.get("explanation", "")).strip()
        if st.get("evidence_url"):
            said += f" (evidence: {st['evidence_url']})"
        status = st["status"]
        if status == "met":
            return Outcome(Verdict.PASS, (f"manufacturer states it is met: {said}",), ev)
        if status == "not-met":
            return Outcome(Verdict.FAIL, (f"manufacturer states it is not met: {said}",), ev)
        if req.status == "mandatory":
            why = f"declared not applicable, but {req.uid} is mandatory: {said}"
            return Outcome(Verdict.INCONCLUSIVE, (why,), ev)
        return Outcome(Verdict.NOT_APPLICABLE, (f"manufacturer states N/A: {said}",), ev)

    def _vulns(self, fact: str) -> Outcome:
        if not self.vulns_ran:
            why = "vulnerability matching did not run"
            return Outcome(Verdict.INCONCLUSIVE, (why,), (), (f"vulns:{fact}",))
        live = [v for v in self.vulns if counts(v)]
        if fact == "matched":
            why = f"components matched against vulnerability data ({len(self.vulns)} matches)"
            return Outcome(Verdict.PASS, (why,), ("vulns:matched",))
        kev = sorted({v.id for v in live if v.kev})
        if kev:
            why = f"{len(kev)} known exploited (CISA KEV): {_ids(kev)}"
            return Outcome(Verdict.FAIL, (why,), tuple(kev))
        if fact == "no-known-exploited":
            cond = sorted({v.id for v in self.vulns if v.kev and applies(v)})
            if cond:
                why = f"known exploited only if a condition holds: {_ids(cond)}"
                return Outcome(Verdict.INCONCLUSIVE, (why,), tuple(cond))
            return Outcome(Verdict.PASS, ("no match is in CISA KEV",), ("vulns:matched",))
        serious = sorted(
            {v.id for v in live if v.priority == "act" or v.severity in ("critical", "high")}
        )
        if serious:
            why = f"{len(serious)} known critical/high or act-now vulnerabilities: {_ids(serious)}"
            return Outcome(Verdict.FAIL, (why,), tuple(serious))
        rest = sorted({v.id for v in self.vulns if applies(v)})
        if rest:
            why = f"{len(rest)} known vulnerabilities to assess for exploitability: {_ids(rest)}"
            return Outcome(Verdict.INCONCLUSIVE, (why,), tuple(rest))
        return Outcome(Verdict.PASS, ("no known vulnerability matched",), ("vulns:matched",))

    def _supplier_sbom(self, arg: str) -> Outcome:
        from assay.norms.supplier import judge, min_fidelity

        minimum = min_fidelity(arg)  # checked when the data was loaded
        return Outcome(*judge(self.supplier_sbom, 1.0 if minimum is None else minimum))

    def _security_txt(self) -> Outcome:
        info = lookup(self.declaration, "_security_txt")
        if not isinstance(info, dict):
            return Outcome(Verdict.NOT_APPLICABLE, ("no security.txt attached",))
        ev = (f"security.txt:{info.get('path', '')}",)
        problems = info.get("problems") or []
        if problems:
            return Outcome(Verdict.FAIL, tuple(f"security.txt: {p}" for p in problems), ev)
        return Outcome(Verdict.PASS, ("security.txt follows RFC 9116",), ev)


def _all_of(outs: list[Outcome]) -> Outcome:
    return _combine(outs, decisive=Verdict.FAIL, otherwise=Verdict.PASS)


def _any_of(outs: list[Outcome]) -> Outcome:
    return _combine(outs, decisive=Verdict.PASS, otherwise=Verdict.FAIL)


def _combine(outs: list[Outcome], decisive: Verdict, otherwise: Verdict) -> Outcome:
    """One child with the ``decisive`` verdict decides (all-of: a FAIL; any-of: a PASS);
    children that do not apply are left out; an undecided child (missing input) leaves the
    whole undecided, reporting every missing input under the first one's verdict."""
    hits = [o for o in outs if o.verdict == decisive]
    if hits:
        return _merge(decisive, hits)
    live = [o for o in outs if o.verdict != Verdict.NOT_APPLICABLE]
    if not live:
        return _merge(Verdict.NOT_APPLICABLE, outs)
    pending = [o for o in live if o.verdict in PENDING]
    if pending:
        return _merge(pending[0].verdict, pending)
    return _merge(otherwise, live)


def _merge(verdict: Verdict, outs: list[Outcome]) -> Outcome:
    return Outcome(
        verdict,
        _uniq(r for o in outs for r in o.reasons),
        _uniq(e for o in outs for e in o.evidence),
        _uniq(m for o in outs for m in o.missing),
    )


def _uniq(items: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def lookup(data: Any, path: str) -> Any:
    """``a.b.c`` in nested dicts; None when any step is missing."""
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _finding_text(f: Finding) -> str:
    text = f.summary or f.title or f.check
    paths = ", ".join(dict.fromkeys(e.path for e in f.evidence[:3]))
    return f"{text} ({paths})" if paths else text


def _short(value: Any) -> str:
    if isinstance(value, list):
        text = ", ".join(_short(v) for v in value) or "none"
    elif isinstance(value, dict):
        text = ", ".join(f"{k}: {_short(v)}" for k, v in value.items())
    else:
        text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _ids(ids: list[str]) -> str:
    return ", ".join(ids[:8]) + (f" and {len(ids) - 8} more" if len(ids) > 8 else "")
