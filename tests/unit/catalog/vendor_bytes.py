"""Bytes of one file inside a vendor-corpus image, read in place from ../shared (never copied
into the project): a member of a ``.tar.xz`` root filesystem, a file inside a squashfs image
(``unsquashfs -cat``), the HG532e's ``qshs`` squashfs (carved, then ``7z``), or a raw blob."""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from functools import cache
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "firmware"
HG532E_SQUASHFS = 0xECEF9


@cache
def _tar_members(image: str) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    with tarfile.open(VENDOR / image) as tar:
        for info in tar:
            if info.isfile() and info.size < 16 * 1024 * 1024:
                fh = tar.extractfile(info)
                if fh is not None:
                    out["/" + info.name.removeprefix("./")] = fh.read()
    return out


def vendor_bytes(image: str, member: str) -> bytes | None:
    """The file's bytes, or None when the data or the tool it needs is not here."""
    path = VENDOR / image
    if not path.is_file():
        return None
    if image.endswith(".tar.xz"):
        return _tar_members(image).get(member)
    if not member:
        return path.read_bytes()
    if "huawei-hg532e" in image:
        if shutil.which("7z") is None:
            return None
        with tempfile.TemporaryDirectory() as tmp:
            carved = Path(tmp) / "rootfs.sqsh"
            carved.write_bytes(path.read_bytes()[HG532E_SQUASHFS:])
            run = subprocess.run(
                ["7z", "e", "-so", str(carved), member.lstrip("/")],
                capture_output=True,
                timeout=60,
            )
            return run.stdout or None
    if shutil.which("unsquashfs") is None:
        return None
    run = subprocess.run(["unsquashfs", "-cat", str(path), member], capture_output=True, timeout=60)
    return run.stdout if run.returncode == 0 and run.stdout else None
