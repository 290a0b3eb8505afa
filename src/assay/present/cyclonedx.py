"""The CycloneDX 1.6 JSON SBOM (and its ``vulnerabilities``), made with cyclonedx-python-lib.

Each component carries its PURL, CPE, where it was found (evidence occurrences: paths inside
the image) and how (evidence identity methods: manifest analysis for package databases,
binary analysis for signatures). Matches go to ``vulnerabilities`` with ``affects``, ratings,
source (NVD or OSV, with the record's URL), aliases as references, the fix as a
recommendation when known, and an analysis state (``exploitable`` for known-exploited,
``not_affected`` or ``in_triage`` with the reason for matches that do not count, else
``in_triage``) whose detail says why it matched. A match a VEX statement given at scan time
suppresses is ``not_affected`` with the statement's justification (or ``resolved`` when the
statement says fixed); one an ignore entry suppresses stays ``in_triage`` with the entry's
reason as the detail; both carry the property ``assay:suppressed``.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from cyclonedx.model import Property, XsUri
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component as CdxComponent
from cyclonedx.model.component import ComponentType
from cyclonedx.model.component_evidence import (
    AnalysisTechnique,
    ComponentEvidence,
    Identity,
    IdentityField,
    Method,
    Occurrence,
)
from cyclonedx.model.contact import OrganizationalEntity
from cyclonedx.model.impact_analysis import ImpactAnalysisJustification, ImpactAnalysisState
from cyclonedx.model.tool import Tool
from cyclonedx.model.vulnerability import (
    BomTarget,
    Vulnerability,
    VulnerabilityAnalysis,
    VulnerabilityRating,
    VulnerabilityReference,
    VulnerabilityScoreSource,
    VulnerabilitySeverity,
    VulnerabilitySource,
)
from cyclonedx.output import make_outputter
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.schema import OutputFormat, SchemaVersion
from packageurl import PackageURL

from assay import __version__
from assay.errors import UsageError
from assay.model.assessment import Assessment
from assay.model.component import Component
from assay.model.vulnerability import VulnerabilityMatch
from assay.present.gate import counts, why_not
from assay.present.native import presentable

TYPES = {
    "application": ComponentType.APPLICATION,
    "library": ComponentType.LIBRARY,
    "operating-system": ComponentType.OPERATING_SYSTEM,
    "firmware": ComponentType.FIRMWARE,
}
TECHNIQUE = {
    "opkg-db": (AnalysisTechnique.MANIFEST_ANALYSIS, "1"),
    "dpkg-db": (AnalysisTechnique.MANIFEST_ANALYSIS, "1"),
    "apk-db": (AnalysisTechnique.MANIFEST_ANALYSIS, "1"),
    "binary-signature": (AnalysisTechnique.BINARY_ANALYSIS, "0.8"),
    "kernel-banner": (AnalysisTechnique.BINARY_ANALYSIS, "0.9"),
}
SEVERITIES = {s.value for s in VulnerabilitySeverity}
MAX_OCCURRENCES = 50


def build_bom(assessment: Assessment) -> Bom:
    """The CycloneDX document for an assessment."""
    bom = Bom()
    bom.metadata.tools.tools.add(Tool(vendor="Assay", name="assay", version=__version__))
    ident = assessment.identity
    product = " ".join(x for x in (ident.vendor, ident.model, ident.hardware_version) if x)
    bom.metadata.component = CdxComponent(
        type=ComponentType.FIRMWARE,
        name=product or Path(assessment.target.path).name,
        version=" ".join(x for x in (ident.os_name, ident.os_version, ident.os_build) if x) or None,
        bom_ref="target",
        properties=[Property(name="assay:target:sha256", value=assessment.target.sha256)]
        if assessment.target.sha256
        else None,
    )
    refs: dict[str, str] = {}
    cdx_components = []
    for index, comp in enumerate(assessment.components):
        ref = f"component-{index + 1}"
        refs[comp.ref] = ref
        cdx_components.append(_component(comp, ref))
    # handing whole lists to the sorted sets once is several times faster than adding one by one
    bom.components.update(cdx_components)
    bom.register_dependency(bom.metadata.component, cdx_components)
    bom.vulnerabilities.update(
        _vulnerability(match, refs[match.component])
        for match in assessment.vulnerabilities
        if match.component in refs
    )
    return bom


def _component(comp: Component, ref: str) -> CdxComponent:
    methods = []
    for source in comp.found_by:
        technique, confidence = TECHNIQUE.get(source, (AnalysisTechnique.OTHER, "0.5"))
        methods.append(Method(technique=technique, confidence=Decimal(confidence), value=source))
    evidence = ComponentEvidence(
        identity=[
            Identity(
                field=IdentityField.PURL if comp.purl else IdentityField.NAME,
                confidence=max((m.confidence for m in methods), default=Decimal("0.5")),
                methods=methods,
            )
        ],
        occurrences=[Occurrence(location=loc) for loc in comp.locations[:MAX_OCCURRENCES]],
    )
    props = [Property(name="assay:found_by", value=s) for s in comp.found_by]
    props += [Property(name=f"assay:{k}", value=v) for k, v in comp.properties]
    if comp.arch:
        props.append(Property(name="assay:arch", value=comp.arch))
    if comp.source_package:
        props.append(Property(name="assay:source_package", value=comp.source_package))
    if comp.files:
        props.append(Property(name="assay:files_owned", value=str(len(comp.files))))
    return CdxComponent(
        type=TYPES.get(comp.type, ComponentType.APPLICATION),
        name=comp.name,
        version=comp.version or None,
        bom_ref=ref,
        purl=PackageURL.from_string(comp.purl) if comp.purl else None,
        cpe=comp.cpe or None,
        supplier=OrganizationalEntity(name=comp.supplier) if comp.supplier else None,
        description=comp.description or None,
        evidence=evidence,
        properties=props,
    )


def cvss_rating(score: Any, vector: str, severity: str) -> VulnerabilityRating | None:
    """A CycloneDX rating from a CVSS score and vector (None without a score); the method
    follows the vector's version (a vector without one is CVSS v2)."""
    if score is None:
        return None
    method = (
        VulnerabilityScoreSource.CVSS_V4
        if vector.startswith("CVSS:4")
        else VulnerabilityScoreSource.CVSS_V3_1
        if vector.startswith("CVSS:3.1")
        else VulnerabilityScoreSource.CVSS_V3
        if vector.startswith("CVSS:3")
        else VulnerabilityScoreSource.CVSS_V2
    )
    level = (severity or "unknown").lower()
    return VulnerabilityRating(
        score=Decimal(str(score)),
        severity=VulnerabilitySeverity(level if level in SEVERITIES else "unknown"),
        method=method,
        vector=vector or None,
    )


def _vulnerability(match: VulnerabilityMatch, ref: str) -> Vulnerability:
    rating = cvss_rating(match.cvss_score, match.cvss_vector, match.severity)
    ratings = [rating] if rating is not None else []
    props = [
        Property(name="assay:priority", value=match.priority),
        Property(name="assay:kev", value=str(match.kev).lower()),
        Property(name="assay:confidence", value=match.confidence),
    ]
    if match.epss is not None:
        props.append(Property(name="assay:epss", value=f"{match.epss:.5f}"))
    if match.conditional:
        props.append(Property(name="assay:conditional", value="true"))
    if match.suppressed:
        props.append(Property(name="assay:suppressed", value=match.suppressed.get("by", "")))
    fixed = str((getattr(match, "fixed_in", None) or {}).get("version", ""))
    return Vulnerability(
        bom_ref=f"{match.id}:{ref}",
        id=match.id,
        source=_source(match.id),
        references=[
            VulnerabilityReference(id=alias, source=_source(alias)) for alias in match.aliases
        ],
        ratings=ratings,
        description=match.description or None,
        recommendation=f"Upgrade to {fixed} or later." if fixed else None,
        affects=[BomTarget(ref=ref)],
        analysis=_analysis(match),
        properties=props,
    )


def _analysis(match: VulnerabilityMatch) -> VulnerabilityAnalysis:
    """The analysis state and its detail: exploitable (KEV) or in triage when the match
    counts; not affected (Assay's analysis or a VEX statement, with the VEX justification),
    resolved (a VEX "fixed") or in triage (an ignore entry, an unsettled condition) when it
    does not, the detail saying why."""
    state = ImpactAnalysisState.EXPLOITABLE if match.kev else ImpactAnalysisState.IN_TRIAGE
    detail = str(match.why.get("reason", "")) or None
    justification = None
    if not counts(match):
        state = (
            ImpactAnalysisState.NOT_AFFECTED
            if str(getattr(match, "status", "")) == "not_affected"
            else ImpactAnalysisState.IN_TRIAGE
        )
        detail = why_not(match) or detail
    mark = match.suppressed
    if mark.get("by") == "vex":
        from assay.present.vex.justifications import to_format

        fixed = mark.get("status") == "fixed"
        state = ImpactAnalysisState.RESOLVED if fixed else ImpactAnalysisState.NOT_AFFECTED
        word = to_format(mark.get("justification", ""), "cyclonedx")
        if word and not fixed:
            justification = ImpactAnalysisJustification(word)
    return VulnerabilityAnalysis(state=state, justification=justification, detail=detail)


def _source(vuln_id: str) -> VulnerabilitySource:
    """Where a vulnerability id is described: NVD for CVEs, OSV for the rest."""
    if vuln_id.startswith("CVE-"):
        return VulnerabilitySource(
            name="NVD", url=XsUri(f"https://nvd.nist.gov/vuln/detail/{vuln_id}")
        )
    return VulnerabilitySource(name="OSV", url=XsUri(f"https://osv.dev/vulnerability/{vuln_id}"))


VERSIONS = {"1.6": SchemaVersion.V1_6, "1.5": SchemaVersion.V1_5, "1.4": SchemaVersion.V1_4}


def render(assessment: Assessment, kind: str = "json", version: str = "1.6") -> str:
    """The SBOM as CycloneDX ``kind`` (json | xml) of ``version`` (1.6, 1.5 or 1.4); what an
    older version cannot hold (e.g. evidence occurrences before 1.5) the library leaves out."""
    if version not in VERSIONS:
        raise UsageError(f"CycloneDX {version} is not offered", f"use one of {', '.join(VERSIONS)}")
    bom = _bom(presentable(assessment))
    if kind == "json" and version == "1.6":
        return JsonV1Dot6(bom).output_as_string(indent=2)
    output = OutputFormat.JSON if kind == "json" else OutputFormat.XML
    return make_outputter(bom, output, VERSIONS[version]).output_as_string(indent=2)


_LAST: dict[str, Any] = {}


def _bom(shown: Assessment) -> Bom:
    """The BOM of a presentable assessment, built once for all the versions asked for."""
    if id(_LAST.get("source")) != id(shown):
        _LAST.update(source=shown, bom=build_bom(shown))
    bom: Bom = _LAST["bom"]
    return bom


def write(assessment: Assessment, out_dir: Path) -> Path:
    """Write the SBOM as CycloneDX 1.6 JSON (the tests validate it against the schema)."""
    path = out_dir / "sbom.cdx.json"
    path.write_text(render(assessment), encoding="utf-8")
    return path
