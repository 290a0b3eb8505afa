"""Vendor firmware headers that name the hardware (read from the image's first bytes)."""

from __future__ import annotations

import stat
import struct
from functools import cache
from importlib import resources
from pathlib import Path

from assay.model.identity import Identity
from assay.safeload import packaged_yaml

TPLINK_HEADER_SIZE = 0x200
TPLINK_V1 = 0x01000000  # header version, stored big-endian


@cache
def _tplink_models() -> dict[int, dict[str, str]]:
    text = resources.files("assay.extract").joinpath("data/tplink_hardware.yaml").read_text()
    return {int(k): v for k, v in (packaged_yaml(text) or {}).items()}


def identify_header(image: Path) -> Identity | None:
    """The hardware named by a known vendor header at the start of ``image``, if any."""
    try:
        with image.open("rb") as fh:
            head = fh.read(TPLINK_HEADER_SIZE)
    except OSError:
        return None
    return _tplink_v1(head)


def identify_image(image: Path, extract_dir: Path | None) -> Identity | None:
    """The hardware named by a vendor header on the image, or on the file its outer
    compression layer unpacked to (a ``firmware.bin.xz`` handed in as is)."""
    found = identify_header(image)
    if found is None and extract_dir is not None:
        for layer in sorted(extract_dir.glob("*_extract/*")):
            if _regular(layer) and (found := identify_header(layer)):
                break
    return found


def _regular(path: Path) -> bool:
    """A regular file itself, not a link to one (a link could point out of the tree)."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def _tplink_v1(head: bytes) -> Identity | None:
    if len(head) < 0x48 or struct.unpack_from(">I", head, 0)[0] != TPLINK_V1:
        return None
    vendor = head[4:28].split(b"\0", 1)[0]
    fw_version = head[28:64].split(b"\0", 1)[0]
    if not vendor or not vendor.isascii() or not fw_version.isascii():
        return None
    hw_id, hw_rev = struct.unpack_from(">II", head, 0x40)
    known = _tplink_models().get(hw_id)
    where = f"image header (TP-Link v1, hardware id 0x{hw_id:08x}, revision {hw_rev})"
    if known is None:
        return Identity(vendor="TP-Link", model=f"hardware id 0x{hw_id:08x}", evidence=(where,))
    return Identity(
        vendor="TP-Link",
        model=known["model"],
        hardware_version=known["hardware_version"],
        os_build=fw_version.decode("ascii") if vendor == b"OpenWrt" else "",
        evidence=(where,),
    )
