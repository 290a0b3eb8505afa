"""Hostile archives for the containment tests (CLI and upload API), each aimed at a canary
file outside the work directory."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

SECRET = "host-secret-7f3a9c"
OWNED = b"OWNED by the archive\n"
# enough of a root filesystem for the scan to find one
BASE = {
    "etc/openwrt_release": b'DISTRIB_ID="OpenWrt"\nDISTRIB_RELEASE="12.09"\n',
    "bin/busybox": b"\x7fELF not really",
    "usr/lib/opkg/status": b"Package: evil\nVersion: 1.0-1\nStatus: install ok installed\n",
}


def make_canary(folder: Path) -> Path:
    """A host file the archives aim at; its folder must stay exactly as it is."""
    folder.mkdir(parents=True, exist_ok=True)
    canary = folder / "canary.txt"
    canary.write_text(f"root:x:0:0:{SECRET}:/root:/bin/sh\n")
    return canary


def assert_untouched(canary: Path) -> None:
    assert canary.read_text() == f"root:x:0:0:{SECRET}:/root:/bin/sh\n"
    assert sorted(p.name for p in canary.parent.iterdir()) == ["canary.txt"]


def tar_bytes(members: list[tuple[str, dict[str, Any], bytes]], mode: str = "w") -> bytes:
    """A tar archive of (name, TarInfo attributes, data) after the base root filesystem."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tar:
        for name, data in BASE.items():
            _add(tar, name, {}, data)
        for name, attrs, data in members:
            _add(tar, name, attrs, data)
    return buffer.getvalue()


def _add(tar: tarfile.TarFile, name: str, attrs: dict[str, Any], data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    for key, value in attrs.items():
        setattr(info, key, value)
    tar.addfile(info, io.BytesIO(data) if info.isfile() else None)


SYM = tarfile.SYMTYPE
LNK = tarfile.LNKTYPE


def symlink_then_file(canary: Path) -> bytes:
    """The reported hole: a link ``x`` to the host file, then a regular file ``x``."""
    return tar_bytes(
        [
            ("x", {"type": SYM, "linkname": str(canary)}, b""),
            ("x", {}, OWNED),
            # the same through a relative link climbing out, and through a linked directory
            ("y", {"type": SYM, "linkname": "../" * 40 + str(canary).lstrip("/")}, b""),
            ("y", {}, OWNED),
            ("d", {"type": SYM, "linkname": str(canary.parent)}, b""),
            ("d/canary.txt", {}, OWNED),
            ("d/new-file", {}, OWNED),
            # "//" starts a path that PurePosixPath keeps as one component (the host's root)
            ("/" + str(canary), {}, OWNED),
            ("//" + str(canary.parent / "new-file"), {}, OWNED),
        ]
    )


def hard_link_write(canary: Path) -> bytes:
    """Hard links to the host file, then data written to the link's name."""
    return tar_bytes(
        [
            ("h", {"type": LNK, "linkname": str(canary)}, b""),
            ("h", {}, OWNED),
            ("l", {"type": SYM, "linkname": str(canary)}, b""),
            ("h2", {"type": LNK, "linkname": "l"}, b""),  # a hard link to a symlink member
            ("h2", {}, OWNED),
        ]
    )


def hard_link_read(canary: Path) -> bytes:
    """Hard links that would copy the host file's contents into the image."""
    return tar_bytes(
        [
            ("etc/passwd", {"type": LNK, "linkname": str(canary)}, b""),
            ("etc/shadow", {"type": LNK, "linkname": str(canary).lstrip("/")}, b""),
            ("etc/link", {"type": SYM, "linkname": str(canary)}, b""),
            ("etc/group", {"type": LNK, "linkname": "etc/link"}, b""),
            ("etc/banner", {"type": LNK, "linkname": "etc/openwrt_release"}, b""),  # fine
        ]
    )
