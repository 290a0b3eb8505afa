"""Components: one per real piece of software in the image, evidence merged."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Component:
    """A component found in the image.

    ``found_by`` names every cataloger that saw it (``opkg-db``, ``binary-signature``,
    ``kernel``...); ``locations`` are paths inside the image (root-relative, starting
    with ``/``) where the evidence is; ``files`` are the files a package database says
    the package owns. ``cpe`` is a CPE 2.3 string when NVD names the product. ``depends``
    names the packages this one depends on, as its package database says (version constraints
    dropped); ``sha256`` is the digest of its files (``catalog.digests`` says which).
    """

    name: str
    version: str
    type: str = "application"  # application | library | operating-system | firmware
    purl: str = ""
    cpe: str = ""
    found_by: tuple[str, ...] = ()
    locations: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    arch: str = ""
    source_package: str = ""
    supplier: str = ""
    license: str = ""
    description: str = ""
    depends: tuple[str, ...] = ()
    sha256: str = ""
    # extra facts (e.g. the signature id that matched, the package that owns a binary)
    properties: tuple[tuple[str, str], ...] = field(default=())

    @property
    def ref(self) -> str:
        """A stable reference: the PURL when there is one, else name@version."""
        return self.purl or f"{self.name}@{self.version}"

    def with_evidence(self, other: Component) -> Component:
        """Merge another sighting of the same component into this one."""
        return replace(
            self,
            purl=self.purl or other.purl,
            cpe=self.cpe or other.cpe,
            found_by=_union(self.found_by, other.found_by),
            locations=_union(self.locations, other.locations),
            files=_union(self.files, other.files),
            arch=self.arch or other.arch,
            source_package=self.source_package or other.source_package,
            supplier=self.supplier or other.supplier,
            license=self.license or other.license,
            description=self.description or other.description,
            depends=_union(self.depends, other.depends),
            sha256=self.sha256 or other.sha256,
            properties=tuple(sorted(set(self.properties) | set(other.properties))),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "type": self.type,
            "purl": self.purl,
            "cpe": self.cpe,
            "found_by": list(self.found_by),
            "locations": list(self.locations),
            "files": list(self.files),
            "arch": self.arch,
            "source_package": self.source_package,
            "supplier": self.supplier,
            "license": self.license,
            "depends": list(self.depends),
            "sha256": self.sha256,
            "properties": dict(self.properties),
        }


def _union(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(set(a) | set(b)))
