"""SPDX 3.0 JSON-LD, read as JSON: spdx-tools 0.8 writes SPDX 3 but does not parse it.

Packages are ``software_Package`` elements of ``@graph`` (name, ``software_packageVersion``,
``software_packageUrl`` or a ``packageUrl`` external identifier, ``verifiedUsing`` hashes);
licences come from ``hasDeclaredLicense`` / ``hasConcludedLicense`` relationships to
``simplelicensing_LicenseExpression`` elements; files with a path-like name and hashes become
declared files. A package the document's root element describes and that contains other
packages is the product, not a component.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from assay.supply.declared import Declared, DeclaredFile, SupplierSbom

_LICENSE_LINKS = ("hasDeclaredLicense", "hasConcludedLicense")


def is_spdx3(data: Any) -> bool:
    return isinstance(data, dict) and "spdx.org/rdf/3" in str(data.get("@context", ""))


def read_spdx3(
    path: Path,
    data: dict[str, Any],
    hashes: Callable[[Iterable[tuple[str, str]]], tuple[tuple[str, str], ...]],
) -> SupplierSbom:
    graph = [e for e in data.get("@graph") or [] if isinstance(e, dict)]
    by_id = {e.get("spdxId"): e for e in graph}
    links: dict[tuple[str, str], list[str]] = {}
    for rel in graph:
        if rel.get("type") in ("Relationship", "LifecycleScopedRelationship"):
            for target in rel.get("to") or []:
                links.setdefault(
                    (str(rel.get("from")), rel.get("relationshipType", "")), []
                ).append(target)
    products = _products(graph, by_id, links)
    sbom = SupplierSbom(str(path), "spdx3")
    for element in graph:
        kind = element.get("type")
        element_id = str(element.get("spdxId", ""))
        digests = hashes(
            (str(h.get("algorithm", "")).replace("sha", "SHA"), str(h.get("hashValue", "")))
            for h in element.get("verifiedUsing") or []
            if h.get("type") == "Hash"
        )
        if kind == "software_Package":
            if element_id in products:
                sbom.subject = str(element.get("name", ""))
                continue
            sbom.components.append(
                Declared(
                    name=str(element.get("name", "")),
                    version=str(element.get("software_packageVersion", "")),
                    purl=_purl(element),
                    license=_license(element_id, by_id, links),
                    hashes=digests,
                    where=element_id,
                    cpe=_identifier(element, "cpe23") or _identifier(element, "cpe22"),
                    kind=str(element.get("software_primaryPurpose", "")).lower(),
                )
            )
        elif kind == "software_File" and str(element.get("name", "")).startswith("/") and digests:
            sbom.files.append(DeclaredFile(str(element["name"]), digests, element_id))
    return sbom


def _purl(element: dict[str, Any]) -> str:
    if element.get("software_packageUrl"):
        return str(element["software_packageUrl"])
    return _identifier(element, "packageUrl")


def _identifier(element: dict[str, Any], kind: str) -> str:
    for ident in element.get("externalIdentifier") or []:
        if isinstance(ident, dict) and ident.get("externalIdentifierType") == kind:
            return str(ident.get("identifier", ""))
    return ""


def _license(
    element_id: str, by_id: dict[Any, dict[str, Any]], links: dict[tuple[str, str], list[str]]
) -> str:
    for link in _LICENSE_LINKS:
        for target in links.get((element_id, link), []):
            text = str(by_id.get(target, {}).get("simplelicensing_licenseExpression", ""))
            if text and text not in ("NOASSERTION", "NONE"):
                return text
    return ""


def _products(
    graph: list[dict[str, Any]],
    by_id: dict[Any, dict[str, Any]],
    links: dict[tuple[str, str], list[str]],
) -> set[str]:
    roots = {
        r for e in graph if e.get("type") == "SpdxDocument" for r in e.get("rootElement") or []
    }
    described = {t for (src, kind), ts in links.items() if kind == "describes" for t in ts}
    packages = {str(e.get("spdxId")) for e in graph if e.get("type") == "software_Package"}
    return {
        p
        for p in (roots | described) & packages
        if any(t in packages for t in links.get((p, "contains"), []))
    }
