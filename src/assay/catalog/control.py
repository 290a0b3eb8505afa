"""Debian-style control stanzas (dpkg ``status``, opkg ``status`` and ``*.control``)."""

from __future__ import annotations

import re
from collections.abc import Iterator

# Debian's marks for a repacked upstream tarball: 1.2.8.dfsg, 2.0+dfsg1, 3.1~ds
REPACK = re.compile(r"[.+~](?:dfsg|ds|repack)\d*$")


def parse_stanzas(text: str) -> Iterator[dict[str, str]]:
    """Yield one dict per blank-line separated stanza; continuation lines are joined."""
    fields: dict[str, str] = {}
    key = ""
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if not line.strip():
            if fields:
                yield fields
            fields, key = {}, ""
            continue
        if line[0] in " \t" and key:
            fields[key] += "\n" + line.strip()
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or " " in name:
            continue  # not a field line; tolerated (real files carry odd lines)
        key = name.strip()
        fields[key] = value.strip()
    if fields:
        yield fields


def upstream_version(version: str) -> str:
    """``1:1.19.4-6`` → ``1.19.4``: drop the epoch and the packaging revision."""
    if ":" in version.split("-", 1)[0]:
        version = version.split(":", 1)[1]
    head, sep, tail = version.rpartition("-")
    if sep and len(tail) >= 7 and all(c in "0123456789abcdef" for c in tail):
        version = head  # OpenWrt appends a build hash: 3.3.8-1-d6597ebf...
    if "-" in version:
        version = version.rsplit("-", 1)[0]
    return REPACK.sub("", version)
