"""SPDX outputs made with the SPDX project's own Python tools (``spdx-tools``).

SPDX 2.3 as JSON or tag-value: one package for the firmware (purpose FIRMWARE) that the
document describes and that CONTAINS one package per component, each with its PURL and CPE
as external references, its supplier and its declared licence when known (a licence that is
not a valid SPDX expression becomes NOASSERTION). The writer validates the document before
writing it (``validate_full_spdx_document``). SPDX 3 is ``present.spdx3`` (spdx-tools does
not support it yet).
"""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from assay import __version__
from assay.errors import AssayError
from assay.model.assessment import Assessment
from assay.model.component import Component
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
    firmware = Package(
        spdx_id="SPDXRef-firmware",
        name=name,
        download_location=SpdxNoAssertion(),
        version=version or None,
        file_name=shown.target.path,
        files_analyzed=False,
        primary_package_purpose=PackagePurpose.FIRMWARE,
        checksums=_sha256(shown.target.sha256),
    )
    packages = [firmware]
    relationships = [
        Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, "SPDXRef-firmware")
    ]
    used: set[str] = {"SPDXRef-firmware"}
    for index, component in enumerate(shown.components, 1):
        spdx_id = _spdx_id(f"Package-{index}-{component.name}")
        if spdx_id in used:
            spdx_id = f"SPDXRef-Package-{index}"
        used.add(spdx_id)
        packages.append(_package(component, spdx_id))
        relationships.append(Relationship("SPDXRef-firmware", RelationshipType.CONTAINS, spdx_id))
    return Document(info, packages=packages, relationships=relationships)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip("-").lower() or "image"


def _sha256(value: str) -> list[Any]:
    from spdx_tools.spdx.model.checksum import Checksum, ChecksumAlgorithm

    if re.fullmatch(r"[0-9a-f]{64}", value or ""):
        return [Checksum(ChecksumAlgorithm.SHA256, value)]
    return []


def _package(component: Component, spdx_id: str) -> Any:
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
    from license_expression import (  # type: ignore[import-untyped]
        ExpressionError,
        get_spdx_licensing,
    )
    from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion

    if not text.strip():
        return SpdxNoAssertion()
    licensing = get_spdx_licensing()
    try:
        expression = licensing.parse(text, validate=True, strict=True)
    except ExpressionError:
        return SpdxNoAssertion()
    return expression if expression is not None else SpdxNoAssertion()


def render(assessment: Assessment, kind: str = "json") -> str:
    """SPDX 2.3 text: ``json`` or ``tag-value`` (SPDX 3 is ``present.spdx3``)."""
    document = build(assessment)
    try:
        stream = io.StringIO()
        if kind == "tag-value":
            from spdx_tools.spdx.writer.tagvalue.tagvalue_writer import write_document_to_stream

            write_document_to_stream(document, stream, validate=True)
        else:
            from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream as json_w

            json_w(document, stream, validate=True)
            stream.write("\n")
    except ValueError as err:  # the tools' validator refused the document
        raise AssayError(f"SPDX output is not valid: {str(err)[:300]}", "please report it") from err
    return stream.getvalue()
