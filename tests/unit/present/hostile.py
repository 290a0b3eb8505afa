"""A root filesystem whose strings attack every output: control characters, terminal escape
sequences (CSI, OSC 8 hyperlink, 8-bit CSI), XML/HTML/Markdown markup, a bidi override and
file names that are not UTF-8."""

from __future__ import annotations

import os
from pathlib import Path

EVIL = (
    "\x01\x1b[31mRED\x1b]8;;http://evil.example/\x07click\x1b]8;;\x07\x1b[0m"
    "\x9b2J<b>&amp;]]>*_[x](y)|\u202etxt.exe\r"
)
# the raw characters none of the text outputs may hold (\t and \n are fine)
RAW = [chr(c) for c in (*range(0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0))] + ["\u202e"]


def hostile_tree(root: Path) -> Path:
    """Write the tree under ``root``; return it."""
    files = {
        "etc/openwrt_release": f'DISTRIB_ID="OpenWrt{EVIL}"\nDISTRIB_RELEASE="12.09{EVIL}"\n'
        'DISTRIB_REVISION="r1\x08\x08"\n',
        "usr/lib/opkg/info/zlib.control": "Package: zlib\nVersion: 1.2.7-1\nArchitecture: x\n",
        "usr/lib/opkg/info/busybox.control": f"Package: busybox{EVIL}\nVersion: 1.19.4{EVIL}\n"
        "Architecture: ar71xx\n",
        "etc/shadow": "root::15000:0:99999:7:::\n",
        "etc/passwd": "root:x:0:0:root:/root:/bin/ash\n",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    # a world-writable file whose name is not UTF-8 and holds an escape sequence
    odd = os.fsencode(root / "etc") + b"/\xff\x1b[2Jodd\x07"
    with open(odd, "w") as fh:
        fh.write("x\n")
    os.chmod(odd, 0o777)
    return root
