"""Turn an ``Assessment`` into what the report shows: a summary, ranked fixes, a matrix.

Templates only render this view; all choices (what comes first, what is grouped) are here.
Fixes are ranked: known exploited vulnerabilities, then failed checks and act-now
vulnerabilities by severity, then failed declared facts, then missing declaration input.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from assay.model.assessment import Assessment
from assay.model.check import RequirementVerdict, Verdict
from assay.norms.catalog import Catalog, load_catalog
from assay.present.report.fixes import Fix, build_fixes
from assay.vulns.counts import counting, kev_ids
from assay.vulns.currency import data_line

VERDICT_ORDER = (
    Verdict.FAIL,
    Verdict.NEEDS_DECLARATION,
    Verdict.NEEDS_LAB,
    Verdict.INCONCLUSIVE,
    Verdict.PASS,
    Verdict.NOT_APPLICABLE,
)
VERDICT_LABEL = {
    Verdict.PASS: "Pass",
    Verdict.FAIL: "Fail",
    Verdict.NOT_APPLICABLE: "Not applicable",
    Verdict.INCONCLUSIVE: "Inconclusive",
    Verdict.NEEDS_DECLARATION: "Needs declaration",
    Verdict.NEEDS_LAB: "Needs lab test",
}


@dataclass
class Row:
    uid: str
    id: str
    title: str
    status: str
    verdict: str
    label: str
    reason: str
    missing: list[str]
    guidance: str


@dataclass
class NormView:
    key: str
    name: str
    short: str
    version: str
    url: str
    counts: list[tuple[str, str, int]]  # (verdict, label, count), fixed order
    mandatory_fail: int
    mandatory: int
    total: int
    rows: list[Row]
    headline: str


def build(assessment: Assessment, catalog: Catalog | None = None) -> dict[str, Any]:
    """Everything the templates need, as plain values."""
    catalog = catalog or load_catalog()
    fixes = build_fixes(assessment, catalog)
    norms = _norm_views(assessment.verdicts, catalog)
    return {
        "product": _product(assessment),
        "target": assessment.target.to_dict(),
        "created": assessment.created,
        "tool_version": assessment.tool_version,
        "vuln_data": data_line(assessment.facts.get("vulnerability_store")),
        "summary": _summary(assessment, fixes, norms),
        "fixes": fixes,
        "norms": norms,
        "problems": [p.to_dict() for p in assessment.problems],
        "sample_declaration": bool((assessment.declaration or {}).get("sample")),
        "supplier": _supplier(assessment.facts.get("supplier_sbom")),
    }


def _supplier(fact: Any) -> dict[str, Any] | None:
    """The supplier-SBOM comparison a scan kept (``assay scan --supplier-sbom``), if any."""
    if not isinstance(fact, dict) or not isinstance(fact.get("counts"), dict):
        return None
    mismatches = [m for m in fact.get("mismatches") or [] if isinstance(m, dict)]
    return {**fact, "mismatches": mismatches}


def _norm_views(verdicts: list[RequirementVerdict], catalog: Catalog) -> list[NormView]:
    by_uid = {f"{v.norm}:{v.requirement}": v for v in verdicts}
    out = []
    for norm in catalog.norms:
        rows = []
        for req in norm.requirements:
            v = by_uid.get(req.uid)
            verdict = v.verdict if v else Verdict.INCONCLUSIVE
            rows.append(
                Row(
                    uid=req.uid,
                    id=req.id,
                    title=req.title,
                    status=req.status + (f" ({req.strength})" if req.strength else ""),
                    verdict=str(verdict),
                    label=VERDICT_LABEL[verdict],
                    reason=v.reason if v else "not evaluated",
                    missing=[_missing_text(m) for m in (v.missing if v else ())],
                    guidance=req.guidance,
                )
            )
        counts = Counter(r.verdict for r in rows)
        mandatory_fail = sum(
            1
            for r, req in zip(rows, norm.requirements, strict=True)
            if r.verdict == Verdict.FAIL and "mandatory" in (req.status, req.strength)
        )
        out.append(
            NormView(
                key=norm.key,
                name=norm.name,
                short=norm.short,
                version=norm.version,
                url=norm.url,
                counts=[(str(v), VERDICT_LABEL[v], counts.get(str(v), 0)) for v in VERDICT_ORDER],
                mandatory_fail=mandatory_fail,
                mandatory=sum(
                    1 for req in norm.requirements if "mandatory" in (req.status, req.strength)
                ),
                total=len(rows),
                rows=rows,
                headline=_norm_headline(counts, mandatory_fail, len(rows)),
            )
        )
    return out


def _norm_headline(counts: Counter[str], mandatory_fail: int, total: int) -> str:
    if mandatory_fail:
        return f"Does not comply: {mandatory_fail} mandatory requirement(s) fail"
    if counts.get(Verdict.FAIL):
        return f"{counts[Verdict.FAIL]} recommendation(s) not met; no mandatory failure found"
    open_ = total - counts.get(Verdict.PASS, 0) - counts.get(Verdict.NOT_APPLICABLE, 0)
    if open_:
        return f"No failure found; {open_} of {total} requirements still undecided"
    return "Every requirement passes or does not apply"


def _summary(assessment: Assessment, fixes: list[Fix], norms: list[NormView]) -> dict[str, Any]:
    mandatory_fail = sum(n.mandatory_fail for n in norms)
    urgent = [f for f in fixes if f.rank <= 2]
    per_norm = ", ".join(
        f"{n.short} {n.mandatory_fail} of {n.mandatory}" for n in norms if n.mandatory_fail
    )
    kev = list(kev_ids(assessment.vulnerabilities))
    if mandatory_fail:
        verdict = "not-ready"
        headline = (
            f"Not ready for the EU, UK or US market: mandatory requirements fail ({per_norm}). "
            + (f"Fix the {len(urgent)} urgent item(s) below first." if urgent else "See below.")
        )
    elif any(n.counts[0][2] for n in norms):
        verdict = "attention"
        headline = "No mandatory requirement fails, but some recommendations are not met."
    else:
        verdict = "open"
        headline = "No failure found so far; the undecided requirements below still need input."
    components = len(assessment.components)
    return {
        "verdict": verdict,
        "headline": headline,
        "top": [f.title for f in fixes[:3] if f.rank <= 3],
        "components": components,
        "vulnerabilities": len(counting(assessment.vulnerabilities)),
        "vulnerabilities_apart": len(assessment.vulnerabilities)
        - len(counting(assessment.vulnerabilities)),
        "kev": kev,
        "findings_failed": sum(1 for f in assessment.findings if f.verdict == Verdict.FAIL),
        "findings_total": len(assessment.findings),
        "declaration": assessment.declaration is not None,
        "needs_lab": sum(n.counts[2][2] for n in norms),
        "needs_declaration": sum(n.counts[1][2] for n in norms),
    }


def _product(assessment: Assessment) -> dict[str, str]:
    ident = assessment.identity
    declared = (assessment.declaration or {}).get("product") or {}
    maker = (assessment.declaration or {}).get("manufacturer") or {}
    model = declared.get("model") or " ".join(x for x in (ident.vendor, ident.model) if x)
    os_ = " ".join(x for x in (ident.os_name, ident.os_version, ident.os_build) if x)
    return {
        "name": declared.get("name") or model or assessment.target.path,
        "model": " ".join(x for x in (model, declared.get("hardware_version") or "") if x),
        "firmware": declared.get("firmware_version") or os_,
        "manufacturer": maker.get("name", ""),
        "os": os_,
        "kernel": ident.kernel_version,
    }


def _missing_text(m: str) -> str:
    kind, _, what = m.partition(":")
    names = {
        "declaration": "declare",
        "check": "check",
        "lab": "lab test",
        "network": "network test",
        "vulns": "vulnerability data",
        "sbom": "SBOM",
    }
    return f"{names.get(kind, kind)}: {what}"
