"""Find root filesystems and kernel images in an extraction tree or a given directory.

Nothing here follows a symbolic link on the host: trees are walked without following links,
and a root filesystem's own paths are read through ``RootFS`` (links resolved inside it).
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from assay.extract.rootfs import RootFS
from assay.model.problem import Problem

ROOTFS_MARKERS = ("bin", "sbin", "usr", "lib")
PACKAGE_DBS = ("usr/lib/opkg", "var/lib/dpkg", "lib/apk/db", "var/lib/opkg")
KERNEL_BANNER = re.compile(rb"Linux version (\d+\.\d+[\w.+-]*) \(")
KERNEL_SCAN_LIMIT = 64 * 1024 * 1024


def is_rootfs(path: Path) -> bool:
    """A directory that looks like ``/`` of a Linux system (its links followed inside it)."""
    fs = RootFS(path)
    if any(fs.is_dir(db) for db in PACKAGE_DBS):
        return True
    if not fs.is_dir("/etc"):
        return False
    return sum(fs.is_dir(m) for m in ROOTFS_MARKERS) >= 2


def is_program_partition(path: Path) -> bool:
    """A second partition of a system, mounted at ``/usr`` or an application folder: no
    ``/etc`` of its own, but at least two of ``bin``, ``sbin``, ``lib`` with ELF programs in
    them (a NAS's squashfs ``/usr``, a camera's application partition). Its programs and
    libraries are part of the inventory as much as those of ``/``."""
    fs = RootFS(path)
    if fs.is_dir("/etc") or sum(fs.is_dir(m) for m in ("bin", "sbin", "lib")) < 2:
        return False
    for folder in ("bin", "sbin", "lib"):
        base = path / folder
        if not base.is_dir() or base.is_symlink():
            continue
        for entry in sorted(base.iterdir())[:64]:
            if entry.is_file() and not entry.is_symlink():
                with entry.open("rb") as handle:
                    if handle.read(4) == b"\x7fELF":
                        return True
    return False


def find_rootfs(top: Path) -> list[Path]:
    """Root filesystems under ``top`` (``top`` itself included), outermost first, then the
    program partitions found beside them (see ``is_program_partition``)."""
    found: list[Path] = []
    partitions: list[Path] = []
    for dirpath, dirnames, files in os.walk(top, followlinks=False):
        here = Path(dirpath)
        dirnames.sort()
        names = set(dirnames).union(files)
        if ("etc" in names or not names.isdisjoint(("usr", "var", "lib"))) and is_rootfs(here):
            found.append(here)
            # below a rootfs, only unblob's own "_extract" folders can hold another one
            dirnames[:] = [d for d in dirnames if d.endswith("_extract")]
        elif ({"bin", "lib"} <= names or {"sbin", "lib"} <= names) and is_program_partition(here):
            partitions.append(here)
            dirnames[:] = [d for d in dirnames if d.endswith("_extract")]
    return found + partitions if found else found


def find_kernels(top: Path, deep: bool = True) -> list[Path]:
    """Files carrying a Linux kernel banner (decompressed kernel images)."""
    roots = set(find_rootfs(top))
    out: list[Path] = []
    candidates: list[Path] = []
    if deep:
        for dirpath, dirnames, files in os.walk(top, followlinks=False):
            here = Path(dirpath)
            if here in roots:
                dirnames[:] = [d for d in dirnames if d == "boot" or d.endswith("_extract")]
            candidates.extend(here / f for f in sorted(files))
    else:
        fs = RootFS(top)
        for name in fs.listdir("/boot"):
            real = fs.resolve(f"/boot/{name}") if name.startswith(("vmlinu", "Image")) else None
            if real is not None:
                candidates.append(real)
    for path in candidates:
        if any(str(path).startswith(f"{k}_extract/") for k in out):
            continue  # a piece unblob carved out of a kernel already found
        try:
            st = path.lstat()
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode) or st.st_size < 1024:
            continue
        with path.open("rb") as fh:
            if KERNEL_BANNER.search(fh.read(KERNEL_SCAN_LIMIT)):
                out.append(path)
    return out


def strip_special_files(top: Path) -> list[Problem]:
    """Remove device nodes, FIFOs and sockets from the work directory; report them once."""
    removed: list[str] = []
    for dirpath, _dirs, files in os.walk(top, followlinks=False):
        for name in files:
            path = Path(dirpath) / name
            try:
                mode = path.lstat().st_mode
            except OSError:
                continue
            if (
                stat.S_ISCHR(mode)
                or stat.S_ISBLK(mode)
                or stat.S_ISFIFO(mode)
                or stat.S_ISSOCK(mode)
            ):
                path.unlink()
                removed.append(path.relative_to(top).as_posix())
    if not removed:
        return []
    return [
        Problem(
            "extract",
            removed[0],
            f"{len(removed)} device file(s)/FIFO(s) in the image were not kept",
            "removed from the work directory (they hold no software)",
        )
    ]


def links_leaving(top: Path) -> list[tuple[str, str]]:
    """Symbolic links under ``top`` that the host would follow out of it (absolute targets,
    or relative ones climbing above ``top``), as (image path, target); never followed."""
    root = top.resolve()
    out: list[tuple[str, str]] = []
    for dirpath, dirnames, files in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(dirnames + files):
            path = Path(dirpath) / name
            try:
                target = os.readlink(path)
            except OSError:
                continue  # not a link
            landing = Path(os.path.normpath(Path(dirpath) / target))
            if landing != root and root not in landing.parents:
                out.append(("/" + path.relative_to(root).as_posix(), target))
    return out
