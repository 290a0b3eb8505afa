"""What a cataloger is: a name, the paths it wants, and a parser for one file.

The engine walks each root filesystem once and offers every file to every cataloger whose
``wants`` says yes; a cataloger never walks the tree itself. A file it cannot read becomes a
``Problem``; only a bug raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from assay.extract.rootfs import FileEntry, RootFS
from assay.model.component import Component
from assay.model.problem import Problem

PACKAGE_SOURCES = ("opkg-db", "dpkg-db", "apk-db")  # the catalogers that read package databases


@dataclass
class CatalogResult:
    """What one cataloger found in one file."""

    components: list[Component] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class Cataloger(Protocol):
    """One kind of evidence (a package database, binary signatures, the kernel...)."""

    name: str  # kebab-case, e.g. "opkg-db"

    def wants(self, entry: FileEntry) -> bool:
        """Whether this file is for this cataloger (decided from path, size and mode only)."""
        ...

    def parse(self, rootfs: RootFS, entry: FileEntry) -> CatalogResult:
        """Read one file and say what it shows."""
        ...
