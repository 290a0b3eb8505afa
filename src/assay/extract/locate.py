"""Find root filesystems and kernel images in an extraction tree."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from assay.model.problem import Problem

ROOTFS_MARKERS = ("bin", "sbin", "usr", "lib")
PACKAGE_DBS = ("usr/lib/opkg", "var/lib/dpkg", "lib/apk/db", "var/lib/opkg")
KERNEL_BANNER = re.compile(rb"Linux version (\d+\.\d+[\w.+-]*) \(")
KERNEL_SCAN_LIMIT = 64 * 1024 * 1024


def is_rootfs(path: Path) -> bool:
    """A directory that looks like ``/`` of a Linux system."""
    if any((path / db).is_dir() for db in PACKAGE_DBS):
        return True
    if not (path / "etc").is_dir():
        return False
    return sum((path / m).is_dir() for m in ROOTFS_MARKERS) >= 2


def find_rootfs(top: Path) -> list[Path]:
    """Root filesystems under ``top`` (``top`` itself included), outermost first."""
    found: list[Path] = []
    for dirpath, dirnames, _files in os.walk(top, followlinks=False):
        here = Path(dirpath)
        dirnames.sort()
        if is_rootfs(here):
            found.append(here)
            # below a rootfs, only unblob's own "_extract" folders can hold another one
            dirnames[:] = [d for d in dirnames if d.endswith("_extract")]
    return found


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
        boot = top / "boot"
        if boot.is_dir():
            candidates = sorted(p for p in boot.iterdir() if p.name.startswith(("vmlinu", "Image")))
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
