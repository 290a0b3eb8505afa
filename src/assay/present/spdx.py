"""SPDX outputs made with the SPDX project's own Python tools (``spdx-tools``).

SPDX 2.3 as JSON or tag-value: one package for the firmware (purpose FIRMWARE, SHA-256 of
the image, supplied by the declaration's manufacturer) that the document describes and that
CONTAINS one package per component, each with its PURL and CPE as external references, its
supplier, its declared licence when known (a licence that is not a valid SPDX expression
becomes NOASSERTION), the SHA-256 of its files (``catalog.digests``) as its checksum, and an
``advisory`` reference per vulnerability that counts. A package DEPENDS_ON the packages its
database's ``Depends`` names; a component found by signatures inside a package's file
(hostapd in ``wpad-mini``) is CONTAINED by that package rather than by the firmware.

The document is not validated at run time (spdx-tools' validator costs more than all the
other outputs together); the tests validate it with ``validate_full_spdx_document`` and parse
it back. SPDX 3 is ``present.spdx3`` (spdx-tools does not support it yet).
"""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

from assay import __version__
from assay.catalog.interface import PACKAGE_SOURCES
from assay.model.assessment import Assessment
from assay.model.component import Component
from assay.present.gate import counts
from assay.present.licences import parsed
from assay.present.native import presentable

NAMESPACE = "https://spdx.org/spdxdocs/assay"
PURPOSE = {
    "application": "APPLICATION",
    "library": "LIBRARY",
    "operating-system": "OPERATING_SYSTEM",
    "firmware": "FIRMWARE",
}


def _spdx_id(text: str) -> str:
    return "SPDXRef-" + re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip("-")


def build(assessment: Assessment) -> Any:
    """The SPDX 2.3 ``Document`` (spdx-tools' model) of an assessment."""
    from spdx_tools.spdx.model.actor import Actor, ActorType
    from spdx_tools.spdx.model.document import CreationInfo, Document
    from spdx_tools.spdx.model.package import Package, PackagePurpose
    from spdx_tools.spdx.model.relationship import Relationship, RelationshipType
    from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion

    shown = presentable(assessment)
    ident = shown.identity
    name = " ".join(x for x in (ident.vendor, ident.model, ident.hardware_version) if x)
    name = name or shown.target.path
    created = datetime.fromisoformat(shown.created) if shown.created else datetime.now(UTC)
    info = CreationInfo(
        spdx_version="SPDX-2.3",
        spdx_id="SPDXRef-DOCUMENT",
        name=f"assay {name}",
        document_namespace=f"{NAMESPACE}/{_slug(name)}-{uuid.uuid4()}",
        creators=[Actor(ActorType.TOOL, f"assay-{__version__}")],
        created=created.replace(tzinfo=None),
    )
    version = " ".join(x for x in (ident.os_name, ident.os_version, ident.os_build) if x)
    maker = _maker(shown.declaration)
    firmware = Package(
        spdx_id="SPDXRef-firmware",
        name=name,
        download_location=SpdxNoAssertion(),
        version=version or None,
        file_name=shown.target.path,
        files_analyzed=False,
        primary_package_purpose=PackagePurpose.FIRMWARE,
        checksums=_sha256(shown.target.sha256),
        supplier=maker or SpdxNoAssertion(),
        originator=maker,
    )
    packages = [firmware]
    relationships = [
        Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, "SPDXRef-firmware")
    ]
    ids: dict[str, str] = {}
    used: set[str] = {"SPDXRef-firmware"}
    advisories = _advisories(shown)
    for index, component in enumerate(shown.components, 1):
        spdx_id = _spdx_id(f"Package-{index}-{component.name}")
        if spdx_id in used:
            spdx_id = f"SPDXRef-Package-{index}"
        used.add(spdx_id)
        ids[component.ref] = spdx_id
        packages.append(_package(component, spdx_id, advisories.get(component.ref, [])))
    for kind, source, target in graph(shown.components):
        relationship = RelationshipType[kind]
        relationships.append(
            Relationship(ids.get(source, "SPDXRef-firmware"), relationship, ids[target])
        )
    return Document(info, packages=packages, relationships=relationships)


def graph(components: list[Component]) -> list[tuple[str, str, str]]:
    """(CONTAINS | DEPENDS_ON, from ref, to ref): the firmware ("" as from) contains each
    component except those a package contains (found by signatures in its files); packages
    depend on the packages their ``Depends`` names."""
    packages: dict[str, list[str]] = {}
    for comp in components:
        if any(s in PACKAGE_SOURCES for s in comp.found_by):
            packages.setdefault(comp.name, []).append(comp.ref)
    edges = []
    for comp in components:
        owner = dict(comp.properties).get("package", "")
        inside = owner in packages and comp.ref not in packages.get(comp.name, [])
        edges.append(("CONTAINS", packages[owner][0] if inside else "", comp.ref))
        for name in comp.depends:
            edges.extend(("DEPENDS_ON", comp.ref, ref) for ref in packages.get(name, []))
    return edges


def _maker(declaration: dict[str, Any] | None) -> Any:
    """The declaration's manufacturer as an SPDX organisation (None without one)."""
    from spdx_tools.spdx.model.actor import Actor, ActorType

    maker = (declaration or {}).get("manufacturer")
    if not isinstance(maker, dict) or not maker.get("name"):
        return None
    contact = str(maker.get("contact", ""))
    email = contact.removeprefix("mailto:") if contact.startswith("mailto:") else None
    return Actor(ActorType.ORGANIZATION, str(maker["name"]), email)


def _advisories(shown: Assessment) -> dict[str, list[str]]:
    """Per component ref, the NVD or OSV page of each vulnerability that counts."""
    found: dict[str, list[str]] = {}
    for match in shown.vulnerabilities:
        if counts(match):
            url = (
                f"https://nvd.nist.gov/vuln/detail/{match.id}"
                if match.id.startswith("CVE-")
                else f"https://osv.dev/vulnerability/{match.id}"
            )
            found.setdefault(match.component, []).append(url)
    return found


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip("-").lower() or "image"


def _sha256(value: str) -> list[Any]:
    from spdx_tools.spdx.model.checksum import Checksum, ChecksumAlgorithm

    if re.fullmatch(r"[0-9a-f]{64}", value or ""):
        return [Checksum(ChecksumAlgorithm.SHA256, value)]
    return []


def _package(component: Component, spdx_id: str, advisories: list[str]) -> Any:
    from spdx_tools.spdx.model.actor import Actor, ActorType
    from spdx_tools.spdx.model.package import (
        ExternalPackageRef,
        ExternalPackageRefCategory,
        Package,
        PackagePurpose,
    )
    from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion

    refs = []
    if component.purl:
        refs.append(
            ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", component.purl)
        )
    if component.cpe:
        refs.append(
            ExternalPackageRef(ExternalPackageRefCategory.SECURITY, "cpe23Type", component.cpe)
        )
    refs.extend(
        ExternalPackageRef(ExternalPackageRefCategory.SECURITY, "advisory", url)
        for url in dict.fromkeys(advisories)
    )
    supplier = (
        Actor(ActorType.ORGANIZATION, component.supplier)
        if component.supplier
        else SpdxNoAssertion()
    )
    where = ", ".join(component.locations[:5])
    return Package(
        spdx_id=spdx_id,
        name=component.name,
        download_location=SpdxNoAssertion(),
        version=component.version or None,
        supplier=supplier,
        files_analyzed=False,
        checksums=_sha256(component.sha256),
        license_declared=_license(component.license),
        license_concluded=SpdxNoAssertion(),
        copyright_text=SpdxNoAssertion(),
        description=component.description or None,
        comment=f"found by {', '.join(component.found_by)}" + (f" at {where}" if where else "")
        if component.found_by
        else None,
        external_references=refs,
        primary_package_purpose=PackagePurpose[PURPOSE.get(component.type, "APPLICATION")],
    )


def _license(text: str) -> Any:
    from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion

    expression = parsed(text)
    return expression if expression is not None else SpdxNoAssertion()


def render(assessment: Assessment, kind: str = "json") -> str:
    """SPDX 2.3 text: ``json`` or ``tag-value`` (SPDX 3 is ``present.spdx3``)."""
    shown = presentable(assessment)
    if _LAST.get("source") is not shown:
        _LAST.update(source=shown, document=build(shown))
    document = _LAST["document"]
    if kind == "tag-value":
        from spdx_tools.spdx.writer.tagvalue.tagvalue_writer import write_document

        stream = io.StringIO()
        write_document(document, stream)
        return stream.getvalue()
    from spdx_tools.spdx.jsonschema.document_converter import DocumentConverter

    data = DocumentConverter().convert(document)  # type: ignore[no-untyped-call]
    return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"


# the document of the last assessment: JSON and tag-value of one scan are one document
_LAST: dict[str, Any] = {}
