"""Unpack a tar archive of a root filesystem without letting it write outside the target.

Refused (each becomes a ``Problem``): absolute or ``..`` member names, members whose parent
directory is reached through a symbolic link, hard links to outside, device files and FIFOs.
Symbolic links are kept whatever they point at: they are data about the image, and ``RootFS``
resolves them inside the image when reading.
"""

from __future__ import annotations

import os
import tarfile
from pathlib import Path, PurePosixPath

from assay.errors import InputError, LimitExceeded
from assay.model.problem import Problem


def is_tar(path: Path) -> bool:
    """A tar archive (plain or compressed) with at least one member.

    A stream of zeros is a valid *empty* tar to ``tarfile``; such a file (or a compressed
    bomb of zeros) is left to the firmware extractor instead.
    """
    try:
        with tarfile.open(path) as tar:
            return tar.next() is not None
    except (tarfile.TarError, OSError, EOFError, zlib_error()):
        return False


def unpack_tar(archive: Path, dest: Path, max_size: int) -> list[Problem]:
    """Unpack ``archive`` into ``dest``; return what was refused."""
    problems: list[Problem] = []
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    total = 0
    try:
        with tarfile.open(archive) as tar:
            for member in tar:
                reason = _refusal(member, root)
                if reason:
                    problems.append(Problem("extract", member.name, reason, "member skipped"))
                    continue
                total += max(member.size, 0)
                if total > max_size:
                    raise LimitExceeded(
                        f"archive expands to more than {max_size} bytes",
                        "raise the bound with --max-size if the archive is genuine",
                    )
                if member.name.startswith("/"):
                    problems.append(
                        Problem("extract", member.name, "absolute member name", "made relative")
                    )
                member.name = _clean(member.name)
                if member.islnk():
                    member.linkname = _clean(member.linkname)
                if member.isdir():
                    member.mode |= 0o700
                tar.extract(member, root, set_attrs=False, filter="fully_trusted")
    except (tarfile.TarError, EOFError, zlib_error()) as err:
        if not any(root.iterdir()):
            raise InputError(
                f"{archive.name}: not a readable tar archive ({err})",
                "check the file is complete; a firmware image can be given as is",
            ) from err
        problems.append(
            Problem("extract", archive.name, f"archive truncated or corrupt: {err}", "partial")
        )
    return problems


def zlib_error() -> type[Exception]:
    import zlib

    return zlib.error


def _clean(name: str) -> str:
    parts = [p for p in PurePosixPath(name).parts if p not in ("/", ".", "")]
    return "/".join(parts)


def _refusal(member: tarfile.TarInfo, root: Path) -> str:
    raw = PurePosixPath(member.name)
    if ".." in raw.parts:
        return "member name climbs out of the archive with '..'"
    if member.isdev() or member.isfifo():
        return "device file or FIFO not created"
    if not member.isfile() and not member.isdir() and not member.issym() and not member.islnk():
        return "unsupported member type"
    name = _clean(member.name)
    if not name:
        return "empty member name"
    parent = (root / name).parent
    real_parent = Path(os.path.realpath(parent))
    if real_parent != root and root not in real_parent.parents:
        return "member would be written through a symbolic link that leaves the tree"
    if member.islnk() and ".." in PurePosixPath(member.linkname).parts:
        return "hard link to outside the archive"
    return ""
