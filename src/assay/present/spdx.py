"""SPDX 2.3 as JSON and tag-value, written as plain data.

One package for the firmware (purpose FIRMWARE, SHA-256 of the image, supplied by the
declaration's manufacturer) that the document describes and that CONTAINS one package per
component, each with its PURL and CPE as external references, its supplier, its declared
licence when known (a licence that is not a valid SPDX expression becomes NOASSERTION), the
SHA-256 of its files (``catalog.digests``) as its checksum, and an ``advisory`` reference per
vulnerability that counts. A package DEPENDS_ON the packages its database's ``Depends``
names; a component found by signatures inside a package's file (hostapd in ``wpad-mini``) is
CONTAINED by that package rather than by the firmware.

The document is built once per assessment as the SPDX 2.3 JSON data; tag-value is written
from the same data, in the layout of the SPDX project's tools (``spdx-tools``). Their object
model, JSON converter and writer took ~27 ms of CPU for the WR703N's two documents, and their
validator more than all the other outputs together, so none of them runs at run time: the
tests parse every document with ``spdx-tools`` and validate it with
``validate_full_spdx_document``. SPDX 3 is ``present.spdx3``.
"""

from __future__ import annotations

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
from assay.present.licences import expression
from assay.present.native import presentable

NAMESPACE = "https://spdx.org/spdxdocs/assay"
PURPOSE = {
    "application": "APPLICATION",
    "library": "LIBRARY",
    "operating-system": "OPERATING_SYSTEM",
    "firmware": "FIRMWARE",
}
NOASSERTION = "NOASSERTION"


def render(assessment: Assessment, kind: str = "json") -> str:
    """SPDX 2.3 text: ``json`` or ``tag-value`` (SPDX 3 is ``present.spdx3``)."""
    shown = presentable(assessment)
    if _LAST.get("source") is not shown:
        _LAST.update(source=shown, document=build(shown))
    document: dict[str, Any] = _LAST["document"]
    if kind == "tag-value":
        return tag_value(document)
    return json_bytes(assessment).decode("utf-8")


def json_bytes(assessment: Assessment) -> bytes:
    """SPDX 2.3 JSON in UTF-8."""
    shown = presentable(assessment)
    if _LAST.get("source") is not shown:
        _LAST.update(source=shown, document=build(shown))
    return orjson.dumps(_LAST["document"], option=orjson.OPT_INDENT_2) + b"\n"


# the document of the last assessment: JSON and tag-value of one scan are one document
_LAST: dict[str, Any] = {}


def build(assessment: Assessment) -> dict[str, Any]:
    """The SPDX 2.3 document of an assessment, as its JSON data."""
    shown = presentable(assessment)
    ident = shown.identity
    name = " ".join(x for x in (ident.vendor, ident.model, ident.hardware_version) if x)
    name = name or shown.target.path
    version = " ".join(x for x in (ident.os_name, ident.os_version, ident.os_build) if x)
    firmware: dict[str, Any] = {"SPDXID": "SPDXRef-firmware", "name": name}
    if version:
        firmware["versionInfo"] = version
    firmware["packageFileName"] = shown.target.path
    maker = _maker(shown.declaration)
    firmware["supplier"] = maker or NOASSERTION
    if maker:
        firmware["originator"] = maker
    firmware.update(downloadLocation=NOASSERTION, filesAnalyzed=False)
    firmware.update(_sha256(shown.target.sha256))
    firmware["primaryPackagePurpose"] = "FIRMWARE"
    packages = [firmware]
    relationships = [_relationship("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-firmware")]
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
        relationships.append(_relationship(ids.get(source, "SPDXRef-firmware"), kind, ids[target]))
    return {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": f"assay {name}",
        "documentNamespace": f"{NAMESPACE}/{_slug(name)}-{uuid.uuid4()}",
        "creationInfo": {"creators": [f"Tool: assay-{__version__}"], "created": utc(shown.created)},
        "packages": packages,
        "relationships": relationships,
    }


def utc(created: str) -> str:
    """An ISO-8601 time (``Assessment.created``; now when empty) in UTC to the second, as
    ``2026-01-31T12:00:00Z`` (SPDX 2.3 and 3 want it so); a time without offset is UTC."""
    when = datetime.fromisoformat(created) if created else datetime.now(UTC)
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


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


def _spdx_id(text: str) -> str:
    return "SPDXRef-" + re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip("-")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip("-").lower() or "image"


def _relationship(source: str, kind: str, target: str) -> dict[str, str]:
    return {"spdxElementId": source, "relationshipType": kind, "relatedSpdxElement": target}


def _maker(declaration: dict[str, Any] | None) -> str:
    """The declaration's manufacturer as an SPDX organisation ("" without one)."""
    maker = (declaration or {}).get("manufacturer")
    if not isinstance(maker, dict) or not maker.get("name"):
        return ""
    contact = str(maker.get("contact", ""))
    email = f" ({contact.removeprefix('mailto:')})" if contact.startswith("mailto:") else ""
    return f"Organization: {maker['name']}{email}"


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


def _sha256(value: str) -> dict[str, Any]:
    if re.fullmatch(r"[0-9a-f]{64}", value or ""):
        return {"checksums": [{"algorithm": "SHA256", "checksumValue": value}]}
    return {}


def _package(component: Component, spdx_id: str, advisories: list[str]) -> dict[str, Any]:
    refs = []
    if component.purl:
        refs.append(_ref("PACKAGE_MANAGER", "purl", component.purl))
    if component.cpe:
        refs.append(_ref("SECURITY", "cpe23Type", component.cpe))
    refs.extend(_ref("SECURITY", "advisory", url) for url in dict.fromkeys(advisories))
    package: dict[str, Any] = {"SPDXID": spdx_id, "name": component.name}
    if component.version:
        package["versionInfo"] = component.version
    package["supplier"] = (
        f"Organization: {component.supplier}" if component.supplier else NOASSERTION
    )
    package.update(downloadLocation=NOASSERTION, filesAnalyzed=False)
    package.update(_sha256(component.sha256))
    package.update(
        licenseConcluded=NOASSERTION,
        licenseDeclared=expression(component.license) or NOASSERTION,
        copyrightText=NOASSERTION,
    )
    if component.description:
        package["description"] = component.description
    if component.found_by:
        where = ", ".join(component.locations[:5])
        package["comment"] = f"found by {', '.join(component.found_by)}" + (
            f" at {where}" if where else ""
        )
    if refs:
        package["externalRefs"] = refs
    package["primaryPackagePurpose"] = PURPOSE.get(component.type, "APPLICATION")
    return package


def _ref(category: str, kind: str, locator: str) -> dict[str, str]:
    return {"referenceCategory": category, "referenceType": kind, "referenceLocator": locator}


# tag-value: (tag, JSON key, multi-line text allowed) of a package, in the SPDX tools' order
PACKAGE_TAGS = (
    ("PackageName", "name", False),
    ("SPDXID", "SPDXID", False),
    ("PackageVersion", "versionInfo", False),
    ("PackageFileName", "packageFileName", False),
    ("PackageSupplier", "supplier", False),
    ("PackageOriginator", "originator", False),
    ("PackageDownloadLocation", "downloadLocation", False),
    ("FilesAnalyzed", "filesAnalyzed", False),
    ("PackageChecksum", "checksums", False),
    ("PackageLicenseConcluded", "licenseConcluded", False),
    ("PackageLicenseDeclared", "licenseDeclared", False),
    ("PackageCopyrightText", "copyrightText", True),
    ("PackageDescription", "description", True),
    ("PackageComment", "comment", True),
    ("ExternalRef", "externalRefs", False),
    ("PrimaryPackagePurpose", "primaryPackagePurpose", False),
)


def tag_value(document: dict[str, Any]) -> str:
    """The tag-value text of an SPDX 2.3 JSON document as :func:`build` makes it."""
    lines = ["## Document Information"]
    for tag, key in (
        ("SPDXVersion", "spdxVersion"),
        ("DataLicense", "dataLicense"),
        ("SPDXID", "SPDXID"),
        ("DocumentName", "name"),
        ("DocumentNamespace", "documentNamespace"),
    ):
        lines.append(f"{tag}: {document[key]}")
    lines += ["", "## Creation Information"]
    lines += [f"Creator: {creator}" for creator in document["creationInfo"]["creators"]]
    lines += [f"Created: {document['creationInfo']['created']}", ""]
    for package in document["packages"]:
        lines.append("## Package Information")
        for tag, key, text in PACKAGE_TAGS:
            value = package.get(key)
            if value is None:
                continue
            if key == "checksums":
                lines += [f"{tag}: {c['algorithm']}: {c['checksumValue']}" for c in value]
            elif key == "externalRefs":
                lines += [
                    f"{tag}: {r['referenceCategory'].replace('_', '-')} {r['referenceType']} "
                    f"{r['referenceLocator']}"
                    for r in value
                ]
            elif isinstance(value, bool):
                lines.append(f"{tag}: {str(value).lower()}")
            elif text and "\n" in value:
                lines.append(f"{tag}: <text>{value}</text>")
            else:
                lines.append(
                    f"{tag}: {value.replace('_', '-') if key.startswith('primary') else value}"
                )
        lines.append("")
    lines.append("## Relationships")
    lines += [
        f"Relationship: {r['spdxElementId']} {r['relationshipType']} {r['relatedSpdxElement']}"
        for r in document["relationships"]
    ]
    return "\n".join(lines) + "\n\n"
