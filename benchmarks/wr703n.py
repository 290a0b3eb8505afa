"""The bundled WR703N image's root filesystem, unpacked for a benchmark (shared by scripts)."""

from __future__ import annotations

import lzma
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGE = ROOT / "data" / "firmware" / "openwrt-12.09-tl-wr703n-v1-squashfs-factory.bin.xz"
SQUASHFS_OFFSET = 0xE9CAC


def unpack_rootfs(work: Path, name: str = "squashfs-root") -> Path:
    """Decompress the image into ``work`` and unpack its SquashFS with Debian's unsquashfs."""
    image = work / "wr703n.bin"
    with lzma.open(IMAGE) as src, image.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    dest = work / name
    subprocess.run(
        ["unsquashfs", "-no-progress", "-no-exit-code", "-o", str(SQUASHFS_OFFSET)]
        + ["-d", str(dest), str(image)],
        check=True,
        capture_output=True,
    )
    return dest
