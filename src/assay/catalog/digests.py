"""SHA-256 digests of what each component is made of, for the SBOM's hashes and checksums.

- A component that is one file (a binary-signature hit, the kernel image): the SHA-256 of
  that file, as ``sha256sum`` prints it.
- A package (or a component seen in several files): the SHA-256 of its manifest, the
  ``sha256sum`` lines (``<digest>  <path>``) of its regular files sorted by path, so that
  anyone with the image can recompute it (``sha256sum $(cat pkg.list) | sort -k2``, with the
  paths as the image names them).

Property ``sha256_of`` says which of the two a digest is. Files are read once per scan
however many components name them; a component with a file over ``MAX_FILE_BYTES`` or a file
that cannot be read gets no digest (a partial manifest would claim what it does not cover).
Symbolic links and other non-regular files are not part of a manifest.
"""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from assay.catalog.interface import PACKAGE_SOURCES
from assay.extract.rootfs import RootFS
from assay.model.component import Component

MAX_FILE_BYTES = 256 * 1024 * 1024
_SKIP = "-"  # not a regular file: left out of a manifest
_FAIL = ""  # too large or unreadable: no digest


class _Files:
    """File digests by image path, computed once."""

    def __init__(self, roots: list[RootFS], extra: dict[str, Path]) -> None:
        self.roots = roots
        self.extra = extra  # image paths of files outside the trees (kernel images)
        self.seen: dict[str, str] = {}
        self.folders: dict[tuple[int, str], Path | None] = {}  # resolved once per folder

    def digest(self, path: str) -> str:
        if path not in self.seen:
            self.seen[path] = self._digest(path)
        return self.seen[path]

    def _digest(self, path: str) -> str:
        for real in self._candidates(path):
            try:
                st = real.lstat()
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode):
                return _SKIP
            if st.st_size > MAX_FILE_BYTES:
                return _FAIL
            try:
                with real.open("rb") as fh:
                    return hashlib.file_digest(fh, "sha256").hexdigest()
            except OSError:
                return _FAIL
        return _SKIP  # listed by the database but not in the image

    def _candidates(self, path: str) -> Iterable[Path]:
        if path in self.extra:
            yield self.extra[path]
        folder, _, name = path.rpartition("/")
        for n, root in enumerate(self.roots):
            key = (n, folder)
            if key not in self.folders:
                self.folders[key] = root.resolve(folder or "/")
            parent = self.folders[key]
            if parent is not None and name:  # the folders resolved, the file not followed
                yield parent / name


def with_digests(
    components: list[Component], roots: Iterable[RootFS], extra: dict[str, Path]
) -> list[Component]:
    """``components`` with ``sha256`` set where their files are known (see the module)."""
    files = _Files(list(roots), extra)
    out = []
    for comp in components:
        packaged = any(s in PACKAGE_SOURCES for s in comp.found_by)
        paths = comp.files or tuple(
            p for p in comp.locations if p in extra or (p.startswith("/") and not packaged)
        )
        digest, what = _component_digest(files, paths, single=not comp.files)
        if digest:
            props = tuple(sorted({*comp.properties, ("sha256_of", what)}))
            comp = replace(comp, sha256=digest, properties=props)
        out.append(comp)
    return out


def _component_digest(files: _Files, paths: tuple[str, ...], single: bool) -> tuple[str, str]:
    digests = {p: files.digest(p) for p in paths}
    if not digests or _FAIL in digests.values():
        return "", ""
    lines = [f"{d}  {p}\n" for p, d in sorted(digests.items()) if d != _SKIP]
    if not lines:
        return "", ""
    if single and len(lines) == 1:
        path = next(p for p, d in digests.items() if d != _SKIP)
        return digests[path], f"file {path}"
    manifest = hashlib.sha256("".join(lines).encode("utf-8", "surrogateescape"))
    return manifest.hexdigest(), f"manifest of {len(lines)} files (sha256sum lines, by path)"
