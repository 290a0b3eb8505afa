"""Fixtures for the checks: the TL-MR3020 image unpacked, crafted trees, one-check runner."""

from __future__ import annotations

import lzma
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from checks_helpers import Tree

from assay.extract.rootfs import RootFS

MR3020_IMAGE = (
    "firmware/openwrt-12.09-tplink/openwrt-ar71xx-generic-tl-mr3020-v1-squashfs-factory.bin.xz"
)
MR3020_SQUASHFS_OFFSET = 0xE9C70


@pytest.fixture(scope="session")
def mr3020_rootfs(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> RootFS:
    """The OpenWrt 12.09 TL-MR3020 root filesystem, unpacked with Debian's unsquashfs."""
    work = tmp_path_factory.mktemp("mr3020")
    image = work / "mr3020.bin"
    with lzma.open(shared_data / MR3020_IMAGE) as src, image.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    dest = work / "squashfs-root"
    subprocess.run(
        ["unsquashfs", "-no-progress", "-no-exit-code", "-o", str(MR3020_SQUASHFS_OFFSET)]
        + ["-d", str(dest), str(image)],
        check=True,
        capture_output=True,
    )
    return RootFS(dest)


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    """Write a small root filesystem: ``tree({"/etc/passwd": "...", "/bin/sh": "->busybox"})``.

    A value starting with ``->`` makes a symbolic link; bytes are written as they are; a
    tuple ``(content, mode)`` sets the mode too.
    """
    count = 0

    def make(files: dict[str, str | bytes | tuple[str | bytes, int]], label: str = "") -> RootFS:
        nonlocal count
        count += 1
        root = tmp_path / f"root{count}"
        root.mkdir()
        for path, value in files.items():
            mode = None
            if isinstance(value, tuple):
                value, mode = value
            target = root / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(value, str) and value.startswith("->"):
                os.symlink(value[2:], target)
                continue
            if path.endswith("/"):
                target.mkdir(exist_ok=True)
            elif isinstance(value, bytes):
                target.write_bytes(value)
            else:
                target.write_text(value)
            if mode is not None:
                os.chmod(target, mode)
        return RootFS(root, label=label)

    return make
