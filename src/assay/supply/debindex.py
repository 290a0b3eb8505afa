"""Debian package indexes under a verified Release: each ``Packages`` file (plain or
compressed) against the SHA-256 and size the Release states, and ``.deb`` files against the
``Packages`` entries (``assay.supply.debian`` verifies the Release itself)."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import unquote

COMPRESSED = {".lz4", ".xz", ".gz", ".bz2"}
BLOCK = 1 << 20


class SignedSums(Protocol):
    sha256: dict[str, tuple[str, int]]


def apt_list_indexes(release: Path) -> list[Path]:
    """The ``Packages`` files apt stored beside an ``…_InRelease`` in /var/lib/apt/lists."""
    name = release.name
    for suffix in ("InRelease", "Release"):
        if name.endswith("_" + suffix):
            prefix = name[: -len(suffix)]
            return sorted(
                p
                for p in release.parent.glob(prefix + "*Packages*")
                if p.is_file() and ".diff" not in p.name
            )
    return []


def relative_name(index: Path, release: Path) -> str:
    """The index's path as the Release lists it (``main/binary-amd64/Packages.xz``)."""
    name = release.name
    for suffix in ("InRelease", "Release"):
        if name.endswith("_" + suffix) and index.name.startswith(name[: -len(suffix)]):
            rest = index.name[len(name) - len(suffix) :]
            return unquote(rest.replace("_", "/"))
    try:
        return index.resolve().relative_to(release.resolve().parent).as_posix()
    except ValueError:
        return index.name


def _open(path: Path) -> IO[bytes]:
    suffix = path.suffix
    if suffix == ".lz4":
        import lz4.frame  # type: ignore[import-untyped]  # comes with unblob

        return lz4.frame.open(path, "rb")  # type: ignore[no-any-return]
    if suffix == ".xz":
        return lzma.open(path, "rb")
    if suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if suffix == ".bz2":
        return bz2.open(path, "rb")
    return path.open("rb")


def _digest(path: Path, unpack: bool, most: int) -> tuple[str, int]:
    """SHA-256 and size of the file (unpacked when asked), reading at most ``most`` bytes."""
    digest, size = hashlib.sha256(), 0
    with _open(path) if unpack else path.open("rb") as fh:
        while size <= most:
            block = fh.read(BLOCK)
            if not block:
                break
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def check_index(index: Path, release: SignedSums, release_path: Path) -> dict[str, Any]:
    """One index against the signed Release: its own entry, or (compressed by apt) the entry
    of its unpacked form."""
    rel = relative_name(index, release_path)
    entry = release.sha256.get(rel)
    unpack = False
    if entry is None and index.suffix in COMPRESSED:
        rel, unpack = rel[: -len(index.suffix)], True
        entry = release.sha256.get(rel)
    out: dict[str, Any] = {"path": str(index), "listed_as": rel}
    if entry is None:
        return {**out, "result": "failed", "reason": "not listed in the signed Release"}
    want, size = entry
    try:
        have, got = _digest(index, unpack, size)
    except (OSError, EOFError, ValueError, RuntimeError, lzma.LZMAError) as err:
        return {**out, "result": "failed", "reason": f"cannot read it: {err}"}
    if (have, got) != (want, size):
        why = f"sha256 {have} ({got} bytes), the signed Release says {want} ({size} bytes)"
        return {**out, "result": "failed", "reason": why, "sha256": have}
    return {**out, "result": "verified", "reason": "matches the signed Release", "sha256": have}


def package_entries(index: Path) -> Iterator[dict[str, str]]:
    """(Package, Version, Architecture, SHA256, Filename) of each stanza of a Packages file."""
    wanted = (b"Package", b"Version", b"Architecture", b"SHA256", b"Filename")
    entry: dict[str, str] = {}
    with _open(index) as fh:
        for line in fh:
            if line in (b"\n", b"\r\n"):
                if entry:
                    yield entry
                entry = {}
                continue
            key, sep, value = line.partition(b":")
            if sep and key in wanted:
                entry[key.decode()] = value.strip().decode("utf-8", "replace")
    if entry:
        yield entry


def deb_identity(deb: Path) -> tuple[str, str, str]:
    """(package, version, architecture) from an archive's name (``name_1%3a2.0-1_amd64.deb``)."""
    parts = unquote(deb.name.removesuffix(".deb")).split("_")
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 else (deb.name, "", "")


def check_debs(debs: list[Path], indexes: list[Path]) -> dict[str, Any]:
    """Each ``.deb`` against the entry of the same package, version and architecture in the
    verified indexes."""
    want = {deb_identity(d): d for d in debs}
    found: dict[Path, str] = {}
    for index in indexes:
        for e in package_entries(index):
            key = (e.get("Package", ""), e.get("Version", ""), e.get("Architecture", ""))
            if key in want and "SHA256" in e:
                found.setdefault(want[key], e["SHA256"].lower())
    matching, differing = [], []
    for deb, sha in found.items():
        have = _digest(deb, False, 1 << 40)[0]
        if have == sha:
            matching.append(deb.name)
        else:
            differing.append(f"{deb.name} has sha256 {have}, the signed index says {sha}")
    return {
        "debs_checked": len(found),
        "debs_matching": matching,
        "debs_differing": differing,
        "debs_not_in_indexes": sorted(d.name for d in debs if d not in found),
    }
