"""The firmware product and its components as an assessment describes them.

Reads ``assessment.json`` (``Assessment.to_dict()``) tolerantly: identity first, then the
manufacturer's declaration. Every exporter and the importer's matcher use the same keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any
from urllib.parse import quote

from packageurl import PackageURL

DECLARED = {
    "vendor": ("manufacturer.name", "manufacturer"),
    "model": ("product.model", "model", "product.name", "product"),
    "version": ("firmware_version", "product.firmware_version", "software_version"),
}


def lookup(data: Any, path: str) -> Any:
    for key in path.split("."):
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _declared(declaration: Any, fact: str) -> str:
    for path in DECLARED[fact]:
        value = lookup(declaration, path)
        if isinstance(value, str | int | float) and str(value).strip():
            return str(value).strip()
    return ""


@dataclass(frozen=True)
class Firmware:
    """The product a VEX document is about: one firmware version of one device."""

    vendor: str
    model: str
    version: str
    sha256: str = ""

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.vendor, self.model, self.version) if p)

    @cached_property
    def purl(self) -> str:
        """A ``pkg:generic`` PURL (the PURL type for things outside any ecosystem)."""
        qualifiers = {"checksum": f"sha256:{self.sha256}"} if self.sha256 else None
        name = self.model or "firmware"
        return PackageURL(
            type="generic",
            namespace=self.vendor or None,
            name=name,
            version=self.version or None,
            qualifiers=qualifiers,
        ).to_string()

    @cached_property
    def keys(self) -> frozenset[str]:
        return frozenset(k for k in (self.name, self.purl, normalize_purl(self.purl)) if k)


def firmware_of(assessment: dict[str, Any]) -> Firmware:
    identity = assessment.get("identity") or {}
    declaration = assessment.get("declaration") or {}
    target = assessment.get("target") or {}
    vendor = _declared(declaration, "vendor") or identity.get("vendor") or ""
    model = _declared(declaration, "model") or identity.get("model") or ""
    if not model:
        model = str(target.get("name") or "firmware").rsplit("/", 1)[-1]
    version = _declared(declaration, "version")
    if not version:
        parts = (identity.get("os_name"), identity.get("os_version"), identity.get("os_build"))
        version = " ".join(p for p in parts if p)
    return Firmware(vendor, model, version, str(target.get("sha256") or ""))


@dataclass(frozen=True)
class ComponentRef:
    """A component as the VEX exporters name it."""

    ref: str  # the assessment's component ref (PURL or name@version)
    name: str
    version: str
    purl: str = ""
    cpe: str = ""

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}".strip()

    @property
    def iri(self) -> str:
        """The PURL, or a ``pkg:generic`` PURL built from name and version when there is none."""
        if self.purl:
            return self.purl
        return f"pkg:generic/{quote(self.name, safe='')}@{quote(self.version, safe='')}"

    @cached_property
    def keys(self) -> frozenset[str]:
        keys = {self.ref, self.label, f"{self.name}@{self.version}", self.iri, self.cpe}
        keys |= {normalize_purl(self.purl), normalize_purl(self.iri)}
        return frozenset(k for k in keys if k)


def components_of(assessment: dict[str, Any]) -> dict[str, ComponentRef]:
    """Components by their ref (what vulnerability matches point at)."""
    out: dict[str, ComponentRef] = {}
    for comp in assessment.get("components") or []:
        name, version = str(comp.get("name", "")), str(comp.get("version", ""))
        ref = comp.get("purl") or f"{name}@{version}"
        out[ref] = ComponentRef(ref, name, version, comp.get("purl", ""), comp.get("cpe", ""))
    return out


def component_for(ref: str, known: dict[str, ComponentRef]) -> ComponentRef:
    """The component a match or statement names: by its ref, else by any of its other keys
    (PURL, the ``pkg:generic`` IRI exports use, CPE, name@version; the first component that
    has the key wins); a name absent from the inventory is read as a PURL or name@version."""
    if ref in known:
        return known[ref]
    for component in known.values():
        if ref in component.keys:
            return component
    if ref.startswith("pkg:"):
        try:
            purl = PackageURL.from_string(ref)
            return ComponentRef(ref, purl.name, purl.version or "", ref)
        except ValueError:
            pass
    name, _, version = ref.rpartition("@")
    return ComponentRef(ref, name or ref, version)


@lru_cache(maxsize=65536)
def normalize_purl(purl: str) -> str:
    """A PURL without qualifiers and subpath, so ``?arch=mips`` does not stop a match."""
    if not purl.startswith("pkg:"):
        return ""
    try:
        p = PackageURL.from_string(purl)
    except ValueError:
        return purl
    return PackageURL(
        type=p.type, namespace=p.namespace, name=p.name, version=p.version
    ).to_string()
