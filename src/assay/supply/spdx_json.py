"""SPDX 2.x JSON read leniently, for documents spdx-tools rejects (Trivy writes fractional
seconds and leaves out the required ``downloadLocation``). Only the fields the comparison uses
are read; the SBOM carries a warning that says why the strict reader refused it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from assay.supply.declared import Declared, DeclaredFile, SupplierSbom

Hashes = Callable[[Iterable[tuple[str, str]]], tuple[tuple[str, str], ...]]


def read_spdx_json(path: Path, data: dict[str, Any], hashes: Hashes, why: str) -> SupplierSbom:
    sbom = SupplierSbom(str(path), "spdx")
    sbom.warnings.append(f"spdx-tools rejected the document ({why}); read leniently")
    packages = [p for p in data.get("packages") or [] if isinstance(p, dict)]
    products = _products(data, {str(p.get("SPDXID")) for p in packages})
    for pkg in packages:
        if str(pkg.get("SPDXID")) in products:
            sbom.subject = str(pkg.get("name", ""))
            continue
        refs = {
            str(ref.get("referenceType")): str(ref.get("referenceLocator", ""))
            for ref in reversed(pkg.get("externalRefs") or [])
            if isinstance(ref, dict)
        }
        sbom.components.append(
            Declared(
                name=str(pkg.get("name", "")),
                version=str(pkg.get("versionInfo", "")),
                purl=refs.get("purl", ""),
                license=_license(pkg.get("licenseDeclared"))
                or _license(pkg.get("licenseConcluded")),
                hashes=hashes(_checksums(pkg)),
                where=str(pkg.get("SPDXID", "")),
                cpe=refs.get("cpe23Type") or refs.get("cpe22Type", ""),
                kind=str(pkg.get("primaryPackagePurpose", "")).lower().replace("_", "-"),
            )
        )
    for item in data.get("files") or []:
        name = str(item.get("fileName", ""))
        name = name[1:] if name.startswith("./") else name
        if name.startswith("/"):
            sbom.files.append(DeclaredFile(name, hashes(_checksums(item)), str(item.get("SPDXID"))))
    return sbom


def _checksums(element: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (str(c.get("algorithm", "")), str(c.get("checksumValue", "")))
        for c in element.get("checksums") or []
        if isinstance(c, dict)
    ]


def _license(value: Any) -> str:
    text = str(value or "")
    return "" if text in ("NOASSERTION", "NONE") else text


def _products(data: dict[str, Any], packages: set[str]) -> set[str]:
    relations = [r for r in data.get("relationships") or [] if isinstance(r, dict)]
    described = set(data.get("documentDescribes") or []) | {
        str(r.get("relatedSpdxElement"))
        for r in relations
        if r.get("relationshipType") == "DESCRIBES"
    }
    containers = {
        str(r.get("spdxElementId"))
        for r in relations
        if r.get("relationshipType") == "CONTAINS" and str(r.get("relatedSpdxElement")) in packages
    }
    return described & containers & packages
