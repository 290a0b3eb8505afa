"""SPDX 3.0.1 JSON-LD, written as plain data.

The document describes one firmware package (purpose ``firmware``, SHA-256 of the image,
supplied by the declaration's manufacturer) that ``contains`` one package per component
(version, PURL, CPE 2.3 as an external identifier, supplier, SHA-256 of its files; a
component found by signatures in a package's file is contained by that package instead);
packages are linked by ``dependsOn`` as their databases' ``Depends`` say and to their
declared licence (a ``LicenseExpression``) by ``hasDeclaredLicense``; each vulnerability
that counts is a ``security_Vulnerability`` (with the feeds' advisory URLs) linked to its
package by ``hasAssociatedVulnerability``. The document is created by the
``assay`` software agent using the ``assay`` tool.

The graph is written as the SPDX project's bindings (``spdx-python-model``) write it, but
as plain data: their object model and encoder took ~70 ms of CPU for the WR703N's
document, more than all the other SBOMs together. The tests read every document back with
the bindings, have them encode it again (which refuses a missing required property or a
value of the wrong type) and compare the graphs.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import orjson

from assay import __version__
from assay.model.assessment import Assessment
from assay.model.component import Component
from assay.present.gate import counts
from assay.present.licences import expression as licence_expression
from assay.present.native import presentable
from assay.present.spdx import graph, utc

NAMESPACE = "https://spdx.org/spdxdocs/assay"
CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
INFO = "_:CreationInfo0"  # the one creation info, a blank node every element refers to
PURPOSE = {
    "application": "application",
    "library": "library",
    "operating-system": "operatingSystem",
    "firmware": "firmware",
}


def render(assessment: Assessment) -> str:
    """The SPDX 3.0.1 document as JSON-LD text."""
    return json_bytes(assessment).decode("utf-8")


def json_bytes(assessment: Assessment) -> bytes:
    """The SPDX 3.0.1 document as JSON-LD in UTF-8."""
    return orjson.dumps(data(assessment), option=orjson.OPT_INDENT_2) + b"\n"


def data(assessment: Assessment) -> dict[str, Any]:
    """The SPDX 3.0.1 document as JSON-LD data (``@context`` and ``@graph``)."""
    shown = presentable(assessment)
    ident = shown.identity
    name = " ".join(x for x in (ident.vendor, ident.model, ident.hardware_version) if x)
    name = name or shown.target.path
    slug = re.sub(r"[^A-Za-z0-9.-]+", "-", name).strip("-").lower() or "image"
    base = f"{NAMESPACE}/{slug}-{uuid.uuid4()}"

    elements: list[dict[str, Any]] = [
        _element("SoftwareAgent", f"{base}#assay", name="assay"),
        _element("Tool", f"{base}#tool", name=f"assay {__version__}"),
    ]
    firmware = _element(
        "software_Package", f"{base}#firmware", name=name, software_primaryPurpose="firmware"
    )
    version = " ".join(x for x in (ident.os_name, ident.os_version, ident.os_build) if x)
    if version:
        firmware["software_packageVersion"] = version
    if re.fullmatch(r"[0-9a-f]{64}", shown.target.sha256 or ""):
        firmware["verifiedUsing"] = [_hash(shown.target.sha256)]
    elements.append(firmware)
    maker = (shown.declaration or {}).get("manufacturer")
    if isinstance(maker, dict) and maker.get("name"):
        firmware["suppliedBy"] = f"{base}#manufacturer"
        elements.append(_element("Organization", f"{base}#manufacturer", name=str(maker["name"])))
    packages: dict[str, str] = {}
    licences: dict[str, dict[str, Any]] = {}
    for index, component in enumerate(shown.components, 1):
        package = _package(component, f"{base}#package-{index}", elements)
        expression = licence_expression(component.license)
        if expression:
            if expression not in licences:
                licences[expression] = _element(
                    "simplelicensing_LicenseExpression",
                    f"{base}#licence-{len(licences) + 1}",
                    simplelicensing_licenseExpression=expression,
                )
            elements.append(
                _relationship(
                    f"{base}#declared-licence-{index}",
                    package["spdxId"],
                    "hasDeclaredLicense",
                    [licences[expression]["spdxId"]],
                )
            )
        packages[component.ref] = package["spdxId"]
        elements.append(package)
    elements += licences.values()
    edges: dict[tuple[str, str], list[str]] = {}
    for kind, source, target in graph(shown.components):
        edges.setdefault((kind, source), []).append(packages[target])
    for n, ((kind, source), targets) in enumerate(edges.items(), 1):
        contains = kind == "CONTAINS"
        elements.append(
            _relationship(
                f"{base}#{'contains' if contains else 'depends'}-{n}",
                packages.get(source, firmware["spdxId"]),
                "contains" if contains else "dependsOn",
                targets,
            )
        )
    elements += _vulnerabilities(shown, packages, base)
    info = {
        "type": "CreationInfo",
        "@id": INFO,
        "created": utc(shown.created),
        "createdBy": [f"{base}#assay"],
        "createdUsing": [f"{base}#tool"],
        "specVersion": "3.0.1",
    }
    document = _element(
        "SpdxDocument",
        base,
        name=f"assay {name}",
        element=[e["spdxId"] for e in elements],
        profileConformance=["core", "software", "security"],
        rootElement=[firmware["spdxId"]],
    )
    return {"@context": CONTEXT, "@graph": [info, document, *elements]}


def _element(kind: str, spdx_id: str, **properties: Any) -> dict[str, Any]:
    return {"type": kind, "spdxId": spdx_id, "creationInfo": INFO, **properties}


def _hash(value: str) -> dict[str, str]:
    return {"type": "Hash", "algorithm": "sha256", "hashValue": value}


def _relationship(spdx_id: str, source: str, kind: str, targets: list[str]) -> dict[str, Any]:
    return _element("Relationship", spdx_id, relationshipType=kind, to=targets, **{"from": source})


def _package(component: Component, spdx_id: str, elements: list[dict[str, Any]]) -> dict[str, Any]:
    """A component as an SPDX 3 package: version, PURL, CPE, supplier (added to
    ``elements``), SHA-256."""
    package = _element(
        "software_Package",
        spdx_id,
        name=component.name,
        software_primaryPurpose=PURPOSE.get(component.type, "application"),
    )
    if component.version:
        package["software_packageVersion"] = component.version
    if component.purl:
        package["software_packageUrl"] = component.purl
    if component.cpe:
        package["externalIdentifier"] = [
            {
                "type": "ExternalIdentifier",
                "externalIdentifierType": "cpe23",
                "identifier": component.cpe,
            }
        ]
    if component.sha256:
        package["verifiedUsing"] = [_hash(component.sha256)]
    if component.supplier:
        package["suppliedBy"] = f"{spdx_id}-supplier"
        elements.append(_element("Organization", f"{spdx_id}-supplier", name=component.supplier))
    return package


def _vulnerabilities(
    shown: Assessment, packages: dict[str, str], base: str
) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    links: dict[str, list[str]] = {}
    for match in shown.vulnerabilities:
        package = packages.get(match.component)
        if package is None or not counts(match):
            continue
        vulnerability = found.get(match.id)
        if vulnerability is None:
            vulnerability = _element(
                "security_Vulnerability",
                f"{base}#{re.sub(r'[^A-Za-z0-9.-]+', '-', match.id)}",
                name=match.id,
            )
            if match.description:
                vulnerability["description"] = match.description
            if match.id.startswith("CVE-"):
                vulnerability["externalIdentifier"] = [
                    {
                        "type": "ExternalIdentifier",
                        "externalIdentifierType": "cve",
                        "identifier": match.id,
                    }
                ]
            if match.references:
                vulnerability["externalRef"] = [
                    {
                        "type": "ExternalRef",
                        "externalRefType": "securityAdvisory",
                        "locator": list(match.references),
                    }
                ]
            found[match.id] = vulnerability
        links.setdefault(package, []).append(vulnerability["spdxId"])
    relationships = [
        _relationship(
            f"{base}#vulnerabilities-{n}",
            package,
            "hasAssociatedVulnerability",
            vulnerabilities,
        )
        for n, (package, vulnerabilities) in enumerate(links.items(), 1)
    ]
    return [*found.values(), *relationships]
