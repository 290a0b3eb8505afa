"""CycloneDX VEX: export (1.6, built with cyclonedx-python-lib and validated by its strict
validator) and import of any CycloneDX 1.4-1.6 JSON document that has vulnerabilities."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component as CdxComponent
from cyclonedx.model.component import ComponentType
from cyclonedx.model.impact_analysis import (
    ImpactAnalysisJustification,
    ImpactAnalysisResponse,
    ImpactAnalysisState,
)
from cyclonedx.model.vulnerability import (
    BomTarget,
    Vulnerability,
    VulnerabilityAnalysis,
    VulnerabilityRating,
    VulnerabilitySource,
)
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.schema import SchemaVersion
from cyclonedx.schema._res import CRYPTOGRAPHY_DEFS as _S_CDEFS
from cyclonedx.schema._res import JSF as _S_JSF
from cyclonedx.schema._res import SPDX_JSON as _S_SPDX
from cyclonedx.validation.json import JsonStrictValidator
from jsonschema import Draft7Validator
from packageurl import PackageURL
from referencing import Registry
from referencing.jsonschema import DRAFT7

from assay.errors import InputError
from assay.present.cyclonedx import cvss_rating
from assay.present.vex.justifications import from_format, to_format
from assay.present.vex.model import ProductRef, Status, VexStatement
from assay.present.vex.product import component_for, components_of, firmware_of
from assay.present.vex.schemas import fast_formats, schema_errors
from assay.present.vex.statements import assessment_statements

STATE_OF = {
    Status.AFFECTED: ImpactAnalysisState.EXPLOITABLE,
    Status.NOT_AFFECTED: ImpactAnalysisState.NOT_AFFECTED,
    Status.FIXED: ImpactAnalysisState.RESOLVED,
    Status.UNDER_INVESTIGATION: ImpactAnalysisState.IN_TRIAGE,
}
STATUS_OF = {
    "exploitable": Status.AFFECTED,
    "not_affected": Status.NOT_AFFECTED,
    "false_positive": Status.NOT_AFFECTED,
    "resolved": Status.FIXED,
    "resolved_with_pedigree": Status.FIXED,
    "in_triage": Status.UNDER_INVESTIGATION,
}


def _purl(text: str) -> PackageURL | None:
    try:
        return PackageURL.from_string(text) if text.startswith("pkg:") else None
    except ValueError:
        return None


def _rating(match: dict[str, Any]) -> VulnerabilityRating | None:
    vector = str(match.get("cvss_vector") or "")
    return cvss_rating(match.get("cvss_score"), vector, str(match.get("severity") or ""))


def export_cyclonedx_vex(
    assessment: dict[str, Any],
    *,
    statements: Iterable[VexStatement] = (),
    now: datetime | None = None,
    validate: bool = True,
) -> dict[str, Any]:
    """A CycloneDX 1.6 VEX BOM: the firmware as metadata component, the vulnerable components,
    and one vulnerability per (vulnerability, component) with its analysis."""
    moment = now or datetime.now(UTC)
    firmware = firmware_of(assessment)
    known = components_of(assessment)
    matches = {
        (m.get("id"), m.get("component")): m for m in assessment.get("vulnerabilities") or []
    }
    bom = Bom()
    bom.metadata.timestamp = moment
    bom.metadata.component = CdxComponent(
        name=firmware.model or "firmware",
        version=firmware.version or None,
        group=firmware.vendor or None,
        type=ComponentType.FIRMWARE,
        purl=_purl(firmware.purl),
        bom_ref=firmware.purl,
    )
    added: dict[str, CdxComponent] = {}
    for stmt in assessment_statements(assessment, statements):
        comp = component_for(stmt.product.key, known)
        if comp.iri not in added:
            added[comp.iri] = CdxComponent(
                name=comp.name,
                version=comp.version or None,
                purl=_purl(comp.purl),
                cpe=comp.cpe or None,
                bom_ref=comp.iri,
                type=ComponentType.APPLICATION,
            )
            bom.components.add(added[comp.iri])
        match = matches.get((stmt.vulnerability, comp.ref), {})
        justification = to_format(stmt.justification, "cyclonedx")
        analysis = VulnerabilityAnalysis(
            state=STATE_OF[stmt.status],
            justification=ImpactAnalysisJustification(justification) if justification else None,
            responses=[ImpactAnalysisResponse.UPDATE] if stmt.status is Status.AFFECTED else None,
            detail=stmt.impact or stmt.action or None,
        )
        rating = _rating(match)
        bom.vulnerabilities.add(
            Vulnerability(
                bom_ref=f"{stmt.vulnerability}/{comp.iri}",
                id=stmt.vulnerability,
                source=VulnerabilitySource(name="NVD")
                if stmt.vulnerability.startswith("CVE-")
                else None,
                description=str(match.get("description") or "") or None,
                recommendation=stmt.action or None,
                ratings=[rating] if rating else None,
                analysis=analysis,
                affects=[BomTarget(ref=comp.iri)],
            )
        )
    bom.register_dependency(bom.metadata.component, list(added.values()))
    data: dict[str, Any] = json.loads(JsonV1Dot6(bom).output_as_string())
    if validate:
        _check(data, "1.6", "the exported CycloneDX VEX")
    return data


TOP_LEVEL_UNIQUE = ("components", "services", "dependencies", "vulnerabilities")


@cache
def _validator(version: str) -> Draft7Validator:
    """cyclonedx-python-lib's strict schema for ``version``, with the same registry, except
    that the uniqueness of the big top-level arrays is checked by hashing in
    ``cyclonedx_errors``
    (jsonschema compares ``uniqueItems`` pairwise: minutes for 10,000 vulnerabilities)."""
    strict = JsonStrictValidator(SchemaVersion.from_version(version))
    path = strict._schema_file  # the library's own bundled schema file
    if path is None:
        raise InputError(f"no CycloneDX {version} JSON schema in cyclonedx-python-lib")
    schema = json.loads(Path(path).read_text(encoding="utf-8"))
    for name in TOP_LEVEL_UNIQUE:
        schema["properties"].get(name, {}).pop("uniqueItems", None)
    prefix = "http://cyclonedx.org/schema/"
    resources = [
        (f"{prefix}spdx.SNAPSHOT.schema.json", _S_SPDX),
        (f"{prefix}cryptography-defs.SNAPSHOT.schema.json", _S_CDEFS),
        (f"{prefix}jsf-0.82.SNAPSHOT.schema.json", _S_JSF),
    ]
    registry: Registry[Any] = Registry().with_resources(
        (url, DRAFT7.create_resource(json.loads(Path(file).read_text(encoding="utf-8"))))
        for url, file in resources
    )
    return Draft7Validator(
        schema, registry=registry, format_checker=fast_formats(Draft7Validator.FORMAT_CHECKER)
    )


def cyclonedx_errors(doc: Any, version: str) -> list[str]:
    """Every schema violation of a CycloneDX JSON document, JSON path first."""
    out = schema_errors(_validator(version), doc)
    for name in TOP_LEVEL_UNIQUE:
        items = doc.get(name) if isinstance(doc, dict) else None
        seen: dict[str, int] = {}
        for i, item in enumerate(items if isinstance(items, list) else []):
            key = json.dumps(item, sort_keys=True)
            if key in seen:
                out.append(f"$.{name}[{i}]: repeats $.{name}[{seen[key]}]")
            seen.setdefault(key, i)
    return out


def _check(doc: Any, version: str, what: str) -> None:
    try:
        SchemaVersion.from_version(version)
    except ValueError as err:
        raise InputError(
            f"{what} is not valid: $.specVersion: unsupported CycloneDX version {version!r}",
            hint="use CycloneDX 1.4, 1.5 or 1.6",
        ) from err
    errors = cyclonedx_errors(doc, version)
    if errors:
        raise InputError(
            f"{what} is not valid CycloneDX {version}: {errors[0]}", hint="fix that field"
        )


def _refs(doc: dict[str, Any]) -> dict[str, ProductRef]:
    out: dict[str, ProductRef] = {}
    meta = (doc.get("metadata") or {}).get("component") or {}

    def walk(comps: list[Any], parent: str) -> None:
        for comp in comps:
            if not isinstance(comp, dict):
                continue
            purl, cpe = str(comp.get("purl") or ""), str(comp.get("cpe") or "")
            name = " ".join(str(comp.get(k)) for k in ("name", "version") if comp.get(k))
            key = purl or cpe or name
            ref = ProductRef(key, name, purl, cpe, parent)
            if comp.get("bom-ref"):
                out[str(comp["bom-ref"])] = ref
            walk(comp.get("components") or [], parent)

    walk([meta], "")
    meta_key = out[str(meta["bom-ref"])].key if meta.get("bom-ref") in out else ""
    walk(doc.get("components") or [], meta_key)
    return out


def _resolve(ref: str, known: dict[str, ProductRef]) -> ProductRef:
    if ref in known:
        return known[ref]
    local = ref.split("#", 1)[1] if ref.startswith("urn:cdx:") and "#" in ref else ref
    if local in known:
        return known[local]
    purl = local if local.startswith("pkg:") else ""
    return ProductRef(local, local, purl)


def import_cyclonedx_vex(doc: Any) -> list[VexStatement]:
    """Statements of a CycloneDX document's vulnerabilities (analysis state per affects ref)."""
    if not isinstance(doc, dict):
        raise InputError("CycloneDX document is not valid: $: must be a JSON object")
    _check(doc, str(doc.get("specVersion", "")), "CycloneDX document")
    known = _refs(doc)
    source = f"cyclonedx:{doc.get('serialNumber', '')}"
    out: list[VexStatement] = []
    for vuln in doc.get("vulnerabilities") or []:
        analysis = vuln.get("analysis") or {}
        status = STATUS_OF.get(str(analysis.get("state", "")), Status.AFFECTED)
        word = str(analysis.get("justification", ""))
        if analysis.get("state") == "false_positive" and not word:
            word = "code_not_present"
        aliases = tuple(str(r["id"]) for r in vuln.get("references") or [] if r.get("id"))
        actions = [vuln.get("recommendation"), vuln.get("workaround")]
        actions += [f"response: {r}" for r in analysis.get("response") or []]
        out.extend(
            VexStatement(
                vulnerability=str(vuln.get("id", "")),
                aliases=aliases,
                product=_resolve(str(target.get("ref", "")), known),
                status=status,
                justification=from_format(word, "cyclonedx"),
                original_justification=word,
                impact=str(analysis.get("detail") or "") if status is Status.NOT_AFFECTED else "",
                action=" ".join(a for a in actions if a),
                source=source,
            )
            for target in vuln.get("affects") or []
        )
    return out
