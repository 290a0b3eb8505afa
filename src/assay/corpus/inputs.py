"""What a corpus scan is given: image files, folders of them, and list files."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from assay.errors import InputError

SKIP_NAMES = {"SOURCES.md", "SHA256SUMS", "README.md", "LICENSE"}
SKIP_SUFFIXES = {".md", ".txt", ".sha256", ".asc", ".sig", ".json", ".yaml", ".yml"}


@dataclass(frozen=True)
class Image:
    path: Path
    sha256: str
    size: int


def expand(paths: list[Path], list_files: tuple[Path, ...] = ()) -> list[Path]:
    """Every image named: files as given, folders walked (notes and checksums left out), and
    each line of a list file (relative lines are relative to the list). Order is kept and a
    file named twice is scanned once."""
    out: list[Path] = []
    paths = list(paths)
    for listing in list_files:
        try:
            lines = listing.read_text("utf-8").splitlines()
        except OSError as err:
            raise InputError(
                f"cannot read list file {listing}: {err.strerror}", "check it"
            ) from err
        for line in lines:
            line = line.strip()
            if line and not line.startswith("#"):
                paths.append(
                    (listing.parent / line) if not Path(line).is_absolute() else Path(line)
                )
    for path in paths:
        if path.is_dir():
            out.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and not p.is_symlink()
                and p.name not in SKIP_NAMES
                and p.suffix.lower() not in SKIP_SUFFIXES
            )
        elif path.is_file():
            out.append(path)
        else:
            raise InputError(f"{path}: no such file or folder", "give images, folders or lists")
    return list(dict.fromkeys(p.resolve() for p in out))


def fingerprint(path: Path) -> Image:
    """The image's SHA-256 (what makes a scan resumable: the same bytes are never scanned twice)."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return Image(path, digest.hexdigest(), size)
