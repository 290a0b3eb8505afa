"""Package version ordering as dpkg and opkg define it (also right for plain dotted versions).

A version is ``[epoch:]upstream[-revision]``. Epochs compare as numbers; upstream and
revision compare piece by piece: a run of non-digits compares character by character, where
``~`` sorts before everything (even the end of the string: ``1.0~rc1`` < ``1.0``), letters
sort before other characters; then a run of digits compares as a number.
"""

from __future__ import annotations

import re
from functools import lru_cache

_EPOCH = re.compile(r"^(\d+):(.*)$")


def _order(ch: str) -> int:
    if ch == "~":
        return -1
    if ch.isalpha():
        return ord(ch)
    return ord(ch) + 256


def _compare_part(a: str, b: str) -> int:
    i = j = 0
    while i < len(a) or j < len(b):
        # non-digit run
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            ca = _order(a[i]) if i < len(a) and not a[i].isdigit() else 0
            cb = _order(b[j]) if j < len(b) and not b[j].isdigit() else 0
            if ca != cb:
                return -1 if ca < cb else 1
            i += 1 if i < len(a) and not a[i].isdigit() else 0
            j += 1 if j < len(b) and not b[j].isdigit() else 0
        # digit run
        si = i
        while i < len(a) and a[i].isdigit():
            i += 1
        sj = j
        while j < len(b) and b[j].isdigit():
            j += 1
        na, nb = int(a[si:i] or 0), int(b[sj:j] or 0)
        if na != nb:
            return -1 if na < nb else 1
    return 0


def split(version: str) -> tuple[int, str, str]:
    """(epoch, upstream, revision)."""
    text = version.strip()
    epoch = 0
    m = _EPOCH.match(text)
    if m:
        epoch, text = int(m.group(1)), m.group(2)
    upstream, sep, revision = text.rpartition("-")
    if not sep:
        return epoch, text, ""
    return epoch, upstream, revision


@lru_cache(maxsize=65536)
def compare_versions(a: str, b: str) -> int:
    """-1, 0 or 1 as package version ``a`` is older than, equal to or newer than ``b``."""
    ea, ua, ra = split(a)
    eb, ub, rb = split(b)
    if ea != eb:
        return -1 if ea < eb else 1
    return _compare_part(ua, ub) or _compare_part(ra, rb)
