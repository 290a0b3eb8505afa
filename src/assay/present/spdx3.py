"""SPDX 3.0.1 JSON-LD, made with the SPDX project's own SPDX 3 bindings (``spdx-python-model``).

The document describes one firmware package (purpose ``firmware``, SHA-256 of the image,
supplied by the declaration's manufacturer) that ``contains`` one package per component
(version, PURL, CPE 2.3 as an external identifier, supplier, SHA-256 of its files; a
component found by signatures in a package's file is contained by that package instead);
packages are linked by ``dependsOn`` as their databases' ``Depends`` say and to their
declared licence (a ``LicenseExpression``) by ``hasDeclaredLicense``; each vulnerability
that counts is a ``security_Vulnerability`` (with the feeds' advisory URLs) linked to its
package by ``hasAssociatedVulnerability``. The document is created by the
``assay`` software agent using the ``assay`` tool. The bindings refuse to serialise a
document that lacks a required property or holds a value of the wrong type.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

from assay import __version__
from assay.model.assessment import Assessment
from assay.model.component import Component
from assay.present.gate import counts
from assay.present.licences import expression as licence_expression
from assay.present.native import presentable
from assay.present.spdx import graph

NAMESPACE = "https://spdx.org/spdxdocs/assay"
PURPOSE = {
    "application": "application",
    "library": "library",
    "operating-system": "operatingSystem",
    "firmware": "firmware",
}


def render(assessment: Assessment) -> str:
    """The SPDX 3.0.1 document as JSON-LD text."""
    from spdx_python_model import v3_0_1 as spdx

    shown = presentable(assessment)
    ident = shown.identity
    name = " ".join(x for x in (ident.vendor, ident.model, ident.hardware_version) if x)
    name = name or shown.target.path
    slug = re.sub(r"[^A-Za-z0-9.-]+", "-", name).strip("-").lower() or "image"
    base = f"{NAMESPACE}/{slug}-{uuid.uuid4()}"
    created = datetime.fromisoformat(shown.created) if shown.created else datetime.now(UTC)

    agent = spdx.SoftwareAgent(spdxId=f"{base}#assay", name="assay")
    info = spdx.CreationInfo(
        specVersion="3.0.1", created=created.replace(microsecond=0), createdBy=[agent]
    )
    agent.creationInfo = info
    tool = spdx.Tool(spdxId=f"{base}#tool", name=f"assay {__version__}", creationInfo=info)
    info.createdUsing = [tool]

    firmware = spdx.software_Package(
        spdxId=f"{base}#firmware",
        name=name,
        creationInfo=info,
        software_primaryPurpose=spdx.software_SoftwarePurpose.firmware,
    )
    version = " ".join(x for x in (ident.os_name, ident.os_version, ident.os_build) if x)
    if version:
        firmware.software_packageVersion = version
    if re.fullmatch(r"[0-9a-f]{64}", shown.target.sha256 or ""):
        firmware.verifiedUsing.append(
            spdx.Hash(algorithm=spdx.HashAlgorithm.sha256, hashValue=shown.target.sha256)
        )
    maker = (shown.declaration or {}).get("manufacturer")
    elements: list[Any] = [agent, tool, firmware]
    if isinstance(maker, dict) and maker.get("name"):
        firmware.suppliedBy = spdx.Organization(
            spdxId=f"{base}#manufacturer", name=str(maker["name"]), creationInfo=info
        )
        elements.append(firmware.suppliedBy)
    packages: dict[str, Any] = {}
    licences: dict[str, Any] = {}
    for index, component in enumerate(shown.components, 1):
        package = _package(spdx, component, f"{base}#package-{index}", info)
        if package.suppliedBy is not None:
            elements.append(package.suppliedBy)
        expression = licence_expression(component.license)
        if expression:
            if expression not in licences:
                licences[expression] = spdx.simplelicensing_LicenseExpression(
                    spdxId=f"{base}#licence-{len(licences) + 1}",
                    creationInfo=info,
                    simplelicensing_licenseExpression=expression,
                )
            elements.append(
                spdx.Relationship(
                    spdxId=f"{base}#declared-licence-{index}",
                    creationInfo=info,
                    from_=package,
                    to=[licences[expression]],
                    relationshipType=spdx.RelationshipType.hasDeclaredLicense,
                )
            )
        packages[component.ref] = package
        elements.append(package)
    elements += licences.values()
    edges: dict[tuple[str, str], list[Any]] = {}
    for kind, source, target in graph(shown.components):
        edges.setdefault((kind, source), []).append(packages[target])
    for n, ((kind, source), targets) in enumerate(edges.items(), 1):
        elements.append(
            spdx.Relationship(
                spdxId=f"{base}#{'contains' if kind == 'CONTAINS' else 'depends'}-{n}",
                creationInfo=info,
                from_=packages.get(source, firmware),
                to=targets,
                relationshipType=spdx.RelationshipType.contains
                if kind == "CONTAINS"
                else spdx.RelationshipType.dependsOn,
            )
        )
    elements += _vulnerabilities(spdx, shown, packages, base, info)
    document = spdx.SpdxDocument(
        spdxId=base,
        name=f"assay {name}",
        creationInfo=info,
        rootElement=[firmware],
        element=elements,
        profileConformance=[
            spdx.ProfileIdentifierType.core,
            spdx.ProfileIdentifierType.software,
            spdx.ProfileIdentifierType.security,
        ],
    )
    objects = spdx.SHACLObjectSet()
    for element in (*elements, document):
        objects.add(element)
    data = spdx.JSONLDSerializer().serialize_data(objects)
    return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"


def _package(spdx: Any, component: Component, spdx_id: str, info: Any) -> Any:
    """A component as an SPDX 3 package: version, PURL, CPE, supplier, SHA-256."""
    package = spdx.software_Package(
        spdxId=spdx_id,
        name=component.name,
        creationInfo=info,
        software_primaryPurpose=getattr(
            spdx.software_SoftwarePurpose, PURPOSE.get(component.type, "application")
        ),
    )
    if component.version:
        package.software_packageVersion = component.version
    if component.purl:
        package.software_packageUrl = component.purl
    if component.cpe:
        package.externalIdentifier.append(
            spdx.ExternalIdentifier(
                externalIdentifierType=spdx.ExternalIdentifierType.cpe23,
                identifier=component.cpe,
            )
        )
    if component.sha256:
        package.verifiedUsing.append(
            spdx.Hash(algorithm=spdx.HashAlgorithm.sha256, hashValue=component.sha256)
        )
    if component.supplier:
        package.suppliedBy = spdx.Organization(
            spdxId=f"{spdx_id}-supplier", name=component.supplier, creationInfo=info
        )
    return package


def _vulnerabilities(
    spdx: Any, shown: Assessment, packages: dict[str, Any], base: str, info: Any
) -> list[Any]:
    found: dict[str, Any] = {}
    links: dict[str, list[Any]] = {}
    for match in shown.vulnerabilities:
        package = packages.get(match.component)
        if package is None or not counts(match):
            continue
        vulnerability = found.get(match.id)
        if vulnerability is None:
            vulnerability = spdx.security_Vulnerability(
                spdxId=f"{base}#{re.sub(r'[^A-Za-z0-9.-]+', '-', match.id)}",
                name=match.id,
                creationInfo=info,
            )
            if match.description:
                vulnerability.description = match.description
            if match.id.startswith("CVE-"):
                vulnerability.externalIdentifier.append(
                    spdx.ExternalIdentifier(
                        externalIdentifierType=spdx.ExternalIdentifierType.cve,
                        identifier=match.id,
                    )
                )
            if match.references:
                vulnerability.externalRef.append(
                    spdx.ExternalRef(
                        externalRefType=spdx.ExternalRefType.securityAdvisory,
                        locator=list(match.references),
                    )
                )
            found[match.id] = vulnerability
        links.setdefault(package._id, []).append(vulnerability)
    relationships = []
    for n, (package_id, vulnerabilities) in enumerate(links.items(), 1):
        relationships.append(
            spdx.Relationship(
                spdxId=f"{base}#vulnerabilities-{n}",
                creationInfo=info,
                from_=package_id,
                to=vulnerabilities,
                relationshipType=spdx.RelationshipType.hasAssociatedVulnerability,
            )
        )
    return [*found.values(), *relationships]
