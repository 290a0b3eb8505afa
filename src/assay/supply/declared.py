"""What a supplier claims: one SBOM file, read into declared components and files.

Formats: CycloneDX JSON/XML (cyclonedx-python-lib), SPDX 2.x JSON/tag-value/YAML/RDF
(spdx-tools), Buildroot ``legal-info`` manifests (CSV) and OpenWrt image manifests
(``name - version`` lines). The format is found from the content, not the file name.
"""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assay.errors import InputError

_HASH_NAMES = {
    "MD5": "md5",
    "SHA1": "sha1",
    "SHA-1": "sha1",
    "SHA256": "sha256",
    "SHA-256": "sha256",
    "SHA384": "sha384",
    "SHA-384": "sha384",
    "SHA512": "sha512",
    "SHA-512": "sha512",
}


@dataclass(frozen=True)
class Declared:
    """One component the SBOM states. ``where`` points into the SBOM (for evidence)."""

    name: str
    version: str = ""
    purl: str = ""
    license: str = ""
    hashes: tuple[tuple[str, str], ...] = ()  # (hashlib name, lowercase hex)
    where: str = ""
    cpe: str = ""  # a CPE the SBOM gives (2.3 formatted string, or 2.2 URI)
    kind: str = ""  # the SBOM's own type: library, application, operating-system...


@dataclass(frozen=True)
class DeclaredFile:
    """One file the SBOM states, with its path in the image and its hashes."""

    path: str  # root-relative, starting with "/"
    hashes: tuple[tuple[str, str], ...]
    where: str = ""


@dataclass
class SupplierSbom:
    """A supplier's SBOM as Assay reads it."""

    path: str
    format: str  # cyclonedx-json|-xml, spdx, spdx3, buildroot-manifest, openwrt-manifest
    components: list[Declared] = field(default_factory=list)
    files: list[DeclaredFile] = field(default_factory=list)
    subject: str = ""  # the product the SBOM describes, when it names one
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.format,
            "subject": self.subject,
            "warnings": self.warnings,
            "components": len(self.components),
            "files": len(self.files),
        }


def load_sbom(path: Path) -> SupplierSbom:
    """Read ``path`` as whichever supported SBOM format its content is."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read SBOM {path}: {err.strerror}", "check the path") from err
    text = raw.decode("utf-8", errors="replace")
    head = text.lstrip()[:4096]
    if head.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as err:
            raise InputError(f"SBOM {path} is not valid JSON: {err}", "fix the file") from err
        if isinstance(data, dict) and data.get("bomFormat") == "CycloneDX":
            return _cyclonedx_json(path, data)
        if isinstance(data, dict) and "spdxVersion" in data:
            return _spdx(path, data)
        from assay.supply.spdx3 import is_spdx3, read_spdx3

        if is_spdx3(data):
            return read_spdx3(path, data, _hashes)
    elif head.startswith("<") and "cyclonedx" in head.lower():
        return _cyclonedx_xml(path, text)
    elif re.search(r"^SPDXVersion:", head, re.M) or "spdx.org/rdf" in head:
        return _spdx(path)
    elif head.upper().startswith("PACKAGE,VERSION"):
        return _buildroot(path, text)
    elif _OPENWRT_LINE.match(head.splitlines()[0] if head else ""):
        return _openwrt(path, text)
    raise InputError(
        f"SBOM {path}: format not recognised",
        "give CycloneDX JSON/XML, SPDX 2.x, a Buildroot legal-info manifest.csv or an "
        "OpenWrt image manifest",
    )


# --- CycloneDX ------------------------------------------------------------------------------


def _cyclonedx_json(path: Path, data: dict[str, Any]) -> SupplierSbom:
    from cyclonedx.model.bom import Bom

    try:
        with warnings.catch_warnings():  # deprecations in the input are not ours to report
            warnings.simplefilter("ignore")
            bom = Bom.from_json(data)  # type: ignore[attr-defined]
    except Exception as err:  # the library raises many kinds on bad documents
        raise InputError(
            f"SBOM {path}: CycloneDX JSON cannot be read: {err}", "validate it against the schema"
        ) from err
    return _cyclonedx_bom(path, "cyclonedx-json", bom)


def _cyclonedx_xml(path: Path, text: str) -> SupplierSbom:
    from cyclonedx.model.bom import Bom
    from defusedxml import ElementTree  # type: ignore[import-untyped]  # no entity bombs

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bom = Bom.from_xml(ElementTree.fromstring(text))  # type: ignore[attr-defined]
    except Exception as err:
        raise InputError(
            f"SBOM {path}: CycloneDX XML cannot be read: {err}", "validate it against the schema"
        ) from err
    return _cyclonedx_bom(path, "cyclonedx-xml", bom)


def _cyclonedx_bom(path: Path, fmt: str, bom: Any) -> SupplierSbom:
    sbom = SupplierSbom(str(path), fmt)
    if bom.metadata.component is not None:
        sbom.subject = bom.metadata.component.name
    for index, comp in enumerate(_walk_cdx(bom.components)):
        hashes = _hashes((h.alg.value, h.content) for h in comp.hashes)
        where = f"components[{index}] {comp.bom_ref.value or comp.name}"
        if comp.type.value == "file" and comp.name.startswith("/"):
            sbom.files.append(DeclaredFile(comp.name, hashes, where))
            continue
        sbom.components.append(
            Declared(
                name=comp.name,
                version=comp.version or "",
                purl=str(comp.purl) if comp.purl else "",
                license=_cdx_license(comp.licenses),
                hashes=hashes,
                where=where,
                cpe=comp.cpe or "",
                kind=comp.type.value,
            )
        )
    return sbom


def _walk_cdx(components: Iterable[Any]) -> Iterable[Any]:
    for comp in components:
        yield comp
        yield from _walk_cdx(comp.components)


def _cdx_license(licenses: Iterable[Any]) -> str:
    parts = []
    for lic in licenses:
        value = getattr(lic, "value", None) or getattr(lic, "id", None) or getattr(lic, "name", "")
        if value:
            parts.append(str(value))
    if len(parts) > 1:
        return " AND ".join(f"({p})" if " " in p else p for p in parts)
    return parts[0] if parts else ""


# --- SPDX 2.x -------------------------------------------------------------------------------


def _spdx(path: Path, data: dict[str, Any] | None = None) -> SupplierSbom:
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.parser.parse_anything import parse_file

    _shared_licensing()
    try:
        doc = parse_file(str(path))
    except SPDXParsingError as err:
        messages: list[str] = err.get_messages()  # type: ignore[no-untyped-call]
        first = messages[0] if messages else "parse error"
        if data is not None and data.get("packages"):
            from assay.supply.spdx_json import read_spdx_json

            why = f"{len(messages)} problem(s), first: {first[:200]}"
            return read_spdx_json(path, data, _hashes, why)
        raise InputError(
            f"SBOM {path}: SPDX document is not valid: {first[:300]}", "fix or regenerate it"
        ) from err
    except Exception as err:
        raise InputError(f"SBOM {path}: SPDX document cannot be read: {err}", "fix it") from err
    sbom = SupplierSbom(str(path), "spdx")
    products = _spdx_products(doc)
    for pkg in doc.packages:
        if pkg.spdx_id in products:
            sbom.subject = pkg.name  # the product itself, not one of its components
            continue
        refs = {r.reference_type: r.locator for r in reversed(pkg.external_references)}
        purl = refs.get("purl", "")
        sbom.components.append(
            Declared(
                name=pkg.name,
                version=pkg.version or "",
                purl=purl,
                license=_spdx_license(pkg.license_declared) or _spdx_license(pkg.license_concluded),
                hashes=_spdx_hashes(pkg.checksums),
                where=pkg.spdx_id,
                cpe=refs.get("cpe23Type") or refs.get("cpe22Type", ""),
                kind=_spdx_purpose(pkg.primary_package_purpose),
            )
        )
    for spdx_file in doc.files:
        name = spdx_file.name
        if name.startswith("./"):
            name = name[1:]
        if name.startswith("/"):
            sbom.files.append(
                DeclaredFile(name, _spdx_hashes(spdx_file.checksums), spdx_file.spdx_id)
            )
    return sbom


def _shared_licensing() -> None:
    """spdx-tools' tag-value parser builds a new SPDX licence index for every licence field
    it reads (0.17 s each: 17 s for the 106 files of FreeRTOS-Plus-TCP's SBOM); give it the
    one shared index its JSON parser uses."""
    from spdx_tools.common.spdx_licensing import spdx_licensing  # type: ignore[import-untyped]
    from spdx_tools.spdx.parser.tagvalue import parser

    setattr(parser, "get_spdx_licensing", lambda: spdx_licensing)  # noqa: B010


def _spdx_products(doc: Any) -> set[str]:
    """Packages the document describes that contain other packages: the product (an image,
    a container), which a firmware does not hold as a component of itself."""
    ids = {p.spdx_id for p in doc.packages}
    described = {
        str(r.related_spdx_element_id)
        for r in doc.relationships
        if r.relationship_type.name == "DESCRIBES"
    }
    containers = {
        r.spdx_element_id
        for r in doc.relationships
        if r.relationship_type.name == "CONTAINS" and str(r.related_spdx_element_id) in ids
    }
    return described & containers


def _spdx_purpose(purpose: Any) -> str:
    """An SPDX 2.3 primary package purpose as a CycloneDX-like type ("" when not given)."""
    name = str(getattr(purpose, "name", "") or "").lower()
    return {"operating_system": "operating-system"}.get(name, name)


def _spdx_license(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    return "" if text in ("NOASSERTION", "NONE") else text


def _spdx_hashes(checksums: Iterable[Any]) -> tuple[tuple[str, str], ...]:
    pairs = ((checksum.algorithm.name.replace("_", "-"), checksum.value) for checksum in checksums)
    return _hashes(pairs)


def _hashes(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """Known algorithms only; all-zero placeholders (some tools write them) are no hash."""
    out = []
    for alg, value in pairs:
        name = _HASH_NAMES.get(alg.upper())
        if name and value.strip("0"):
            out.append((name, value.lower()))
    return tuple(out)


# --- Build-system manifests -----------------------------------------------------------------

_OPENWRT_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._+-]*) - (\S+)$")


def _buildroot(path: Path, text: str) -> SupplierSbom:
    sbom = SupplierSbom(str(path), "buildroot-manifest")
    for row_number, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        name = (row.get("PACKAGE") or "").strip()
        if not name:
            continue
        license_ = (row.get("LICENSE") or "").strip()
        sbom.components.append(
            Declared(
                name=name,
                version=(row.get("VERSION") or "").strip(),
                license="" if license_ == "unknown" else license_,
                where=f"line {row_number}",
            )
        )
    return sbom


def _openwrt(path: Path, text: str) -> SupplierSbom:
    sbom = SupplierSbom(str(path), "openwrt-manifest")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _OPENWRT_LINE.match(line.strip())
        if match is None:
            raise InputError(
                f"SBOM {path} line {number}: not a 'name - version' line: {line[:80]!r}",
                "an OpenWrt image manifest has one 'name - version' per line",
            )
        sbom.components.append(Declared(match[1], match[2], where=f"line {number}"))
    return sbom
