"""Unpack a vendor-corpus image (../shared/data/firmware/vendor-corpus) for the checks tests.

The firmware is read from the shared folder and unpacked into pytest's temporary folder, never
copied into the project: tar archives with Assay's own safe tar reader, squashfs partitions with
Debian's unsquashfs, the Huawei packet with 7z (as SOURCES.md says each one unpacks).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from assay.extract.rootfs import RootFS
from assay.extract.safe_tar import unpack_tar

CORPUS = Path("firmware/vendor-corpus")
# image id -> (files in its folder, the sub-folders that are root filesystems)
IMAGES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "anyka-ipcam": (("mtdblock1", "mtdblock2"), ("mtdblock1", "mtdblock2")),
    "belkin-f9k1015": (("120000.squashfs",), ("120000.squashfs",)),
    "hilink-hlk-rm04": (("hlk-rm04-squashfs-root-1.78.tar.xz",), ("",)),
    "irz-ruh2b": (("irz-ruh2b-rootfs-2014.10.28.tar.xz",), ("",)),
    "sitecom-md253": (("sitecom-md253-fw-2.3.27.tar.xz",), ("bootfs", "squashfs-root")),
    "yi-4k": (("yi4k-fw-1.10.9-rootfs.tar.xz",), ("1.10.9",)),
    "xiaomi-lx06": (("xiaomi-lx06-1.88.55-rootfs.tar.xz",), ("rootfs",)),
    "huawei-hg532e": (("HG532eV100R001C01B020_upgrade_packet.bin",), ("",)),
}


def unpack(shared: Path, image_id: str, work: Path) -> list[RootFS]:
    """The root filesystems of one corpus image, unpacked under ``work``."""
    files, roots = IMAGES[image_id]
    folder = shared / CORPUS / image_id
    out: list[RootFS] = []
    for name, root in zip(files, roots, strict=False):
        source = folder / name
        if name.endswith(".tar.xz"):
            sink = os.open(os.devnull, os.O_WRONLY)  # the modes log is not read here
            try:
                unpack_tar(source, work, sink, max_size=1 << 30, max_entries=1_000_000)
            finally:
                os.close(sink)
            return [RootFS(work / sub if sub else work, label=sub or image_id) for sub in roots]
        dest = work / name
        if name.endswith(".bin"):
            if shutil.which("7z") is None:
                pytest.skip("7z is not installed")
            dest.mkdir()
            subprocess.run(
                ["7z", "x", "-y", f"-o{dest}", str(source)], check=True, capture_output=True
            )
        else:
            if shutil.which("unsquashfs") is None:
                pytest.skip("unsquashfs is not installed")
            subprocess.run(
                ["unsquashfs", "-no-progress", "-no-exit-code", "-d", str(dest), str(source)],
                check=True,
                capture_output=True,
            )
        out.append(RootFS(dest, label=root))
    return out
