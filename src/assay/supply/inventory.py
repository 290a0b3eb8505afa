"""What Assay measured: the components of an assessment, and (while the unpacked trees exist)
the bytes of the files they own, for hash comparisons."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assay.errors import InputError
from assay.extract.rootfs import RootFS

# files that are package-database records, not the software itself
_DB_PREFIXES = ("/usr/lib/opkg/", "/var/lib/dpkg/", "/lib/apk/db/", "/var/lib/opkg/")


@dataclass(frozen=True)
class Measured:
    """One component of the measured inventory, as the assessment states it."""

    name: str
    version: str
    type: str
    purl: str
    license: str
    found_by: tuple[str, ...]
    locations: tuple[str, ...]
    files: tuple[str, ...]
    upstream_version: str = ""
    package: str = ""  # the package that owns a binary-only sighting (e.g. hostapd in wpad-mini)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Measured:
        props = data.get("properties") or {}
        return cls(
            name=str(data.get("name", "")),
            version=str(data.get("version", "")),
            type=str(data.get("type", "")),
            purl=str(data.get("purl", "")),
            license=str(data.get("license", "")),
            found_by=tuple(data.get("found_by") or ()),
            locations=tuple(data.get("locations") or ()),
            files=tuple(data.get("files") or ()),
            upstream_version=str(props.get("upstream_version", "")),
            package=str(props.get("package", "")),
        )

    @property
    def payload(self) -> tuple[str, ...]:
        """The component's own files in the image (package-database records left out)."""
        paths = dict.fromkeys(p for p in (*self.locations, *self.files) if p.startswith("/"))
        return tuple(p for p in paths if not p.startswith(_DB_PREFIXES))

    def evidence(self) -> str:
        """Where in the image the component was seen, in one line."""
        records = [p for p in self.locations if p.startswith(_DB_PREFIXES)][:1]
        where = ", ".join([*self.payload[:2], *records]) or "no location recorded"
        return f"{self.name} {self.version} found by {'+'.join(self.found_by)} at {where}"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "purl": self.purl}


@dataclass
class Inventory:
    """The measured inventory of one target, plus the unpacked roots when they exist."""

    target: dict[str, Any]
    components: list[Measured]
    roots: list[RootFS] = field(default_factory=list)
    assessment: dict[str, Any] = field(default_factory=dict, repr=False)  # as read
    _hashes: dict[tuple[str, str], str | None] = field(default_factory=dict, repr=False)
    _paths: list[str] | None = field(default=None, repr=False)

    @classmethod
    def from_assessment(cls, data: dict[str, Any], roots: list[RootFS] | None = None) -> Inventory:
        comps = [Measured.from_dict(c) for c in data.get("components") or []]
        return cls(dict(data.get("target") or {}), comps, list(roots or []), data)

    @classmethod
    def from_file(cls, path: Path) -> Inventory:
        """Read an ``assessment.json`` written by ``assay scan`` (no hashes: no unpacked tree)."""
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            raise InputError(
                f"cannot read assessment {path}: {err}", "give an assessment.json from assay scan"
            ) from err
        if not isinstance(data, dict) or "components" not in data or "target" not in data:
            raise InputError(
                f"{path} is not an Assay assessment (no target/components)",
                "give an assessment.json from assay scan, or the image itself",
            )
        return cls.from_assessment(data)

    def paths_named_like(self, name: str, limit: int = 3) -> list[str]:
        """Image paths whose file name contains ``name`` (a hint that a component the catalogers
        did not recognise may be there after all)."""
        if len(name) < 3 or not self.roots:
            return []
        if self._paths is None:
            self._paths = [e.path for root in self.roots for e in root.walk() if e.is_file]
        needle = name.lower()
        return [p for p in self._paths if needle in p.rsplit("/", 1)[-1].lower()][:limit]

    @property
    def can_hash(self) -> bool:
        return bool(self.roots)

    def file_hash(self, path: str, algorithm: str) -> str | None:
        """The hex digest of a regular file in the image, or None when there is none."""
        key = (path, algorithm)
        if key not in self._hashes:
            self._hashes[key] = self._digest(path, algorithm)
        return self._hashes[key]

    def _digest(self, path: str, algorithm: str) -> str | None:
        for root in self.roots:
            real = root.resolve(path)
            if real is None or not real.is_file():
                continue
            digest = hashlib.new(algorithm)
            with real.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
            return digest.hexdigest()
        return None
