"""Version strings as embedded software writes them, compared the way NVD ranges mean them.

A version is cut into numeric and alphabetic tokens (``.``, ``-``, ``_``, ``+`` and the change
between digits and letters separate them). Numbers compare as numbers. A word that marks a
pre-release (``alpha``, ``beta``, ``rc``, ``pre``, ``dev``, ``devel``, ``test``, ``snapshot``)
sorts *before* the release it leads to (``2.0-devel`` < ``2.0``, ``2.86rc1`` < ``2.86``); any
other letters mark a later patch level (``1.0.1f`` > ``1.0.1``, ``7.4p1`` > ``7.4``). Missing
trailing numbers count as zero (``2.0`` == ``2.0.0``). A release date stamped after a version
is its upstream's way of naming that release (json-c ``0.12-20140410`` == ``0.12``).

Package managers add their own parts, which ``upstream_version`` removes: an epoch (``1:``),
the distribution revision (``1.19.4-6`` -> ``1.19.4``, OpenWrt's ``3.3.8-1-<hash>`` ->
``3.3.8``).
"""

from __future__ import annotations

import re
from functools import lru_cache

_PRE = {"dev": 0, "devel": 0, "snapshot": 0, "alpha": 1, "beta": 2, "pre": 3, "test": 3, "rc": 4}
_TOKEN = re.compile(r"\d+|[a-z]+")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})\b")
_REVISION = re.compile(r"^(?P<up>.+?)-(?P<rev>\d[\w.+~]*(?:-[0-9a-f]{6,})?)$")

Token = tuple[int, int, str]  # (kind, number, word): kind 0 = pre-release, 2 = post, 3 = number


@lru_cache(maxsize=65536)
def tokens(version: str) -> tuple[Token, ...]:
    text = version.strip().lower()
    if text.startswith("v") and len(text) > 1 and text[1].isdigit():
        text = text[1:]
    out: list[Token] = []
    for tok in _TOKEN.findall(text):
        if tok.isdigit():
            out.append((3, int(tok), ""))
        elif tok in _PRE:
            out.append((0, _PRE[tok], tok))
        else:
            out.append((2, 0, tok))
    return tuple(out)


def _cmp_token(a: Token | None, b: Token | None) -> int:
    if a is None and b is None:
        return 0
    if a is None:
        return -_cmp_token(b, a)
    if b is None:  # the other version has ended here
        if a[0] == 3:
            return 0 if a[1] == 0 else 1
        return -1 if a[0] == 0 else 1
    if a[0] != b[0]:
        return -1 if a[0] < b[0] else 1
    if a[1] != b[1]:
        return -1 if a[1] < b[1] else 1
    if a[2] != b[2]:
        return -1 if a[2] < b[2] else 1
    return 0


def _undated(toks: tuple[Token, ...]) -> tuple[Token, ...]:
    """Without a release date stamped after a version (json-c ``0.12-20140410`` is 0.12, as
    its upstream means it); a version that is only a date keeps it."""
    versioned = len(toks) >= 2 and toks[0][0] == 3 and toks[0][1] < 10000
    if versioned and toks[-1][0] == 3 and 19700101 <= toks[-1][1] <= 20991231:
        return toks[:-1]
    return toks


def is_prerelease(version: str) -> bool:
    """Whether a version is a development build: a pre-release word (``2.0-devel``,
    ``1.1rc2``), a snapshot date (``20120910``) or a date-stamped build."""
    toks = tokens(version)
    if any(t[0] == 0 for t in toks):
        return True
    return bool(toks) and toks[0][0] == 3 and 19700101 <= toks[0][1] <= 20991231


def release_of(version: str) -> str:
    """The release a pre-release leads to (``2.0-devel`` -> ``2.0``); else the version."""
    toks = tokens(version)
    cut = next((i for i, t in enumerate(toks) if t[0] == 0), None)
    if not cut:
        return version
    return ".".join(str(t[1]) if t[0] == 3 else t[2] for t in toks[:cut])


@lru_cache(maxsize=131072)
def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as version ``a`` is older than, the same as or newer than ``b``."""
    ta, tb = _undated(tokens(a)), _undated(tokens(b))
    for i in range(max(len(ta), len(tb))):
        c = _cmp_token(ta[i] if i < len(ta) else None, tb[i] if i < len(tb) else None)
        if c:
            return c
    return 0


@lru_cache(maxsize=131072)
def version_key(version: str) -> str:
    """A canonical text for equality look-ups: ``1.0.1-beta1`` and ``1.0.1beta1`` agree."""
    toks = list(tokens(version))
    while toks and toks[-1] == (3, 0, ""):
        toks.pop()
    return ".".join(str(t[1]) if t[0] == 3 else t[2] for t in toks)


def is_comparable(version: str) -> bool:
    """Whether the version has at least one number (``*``, ``-``, ``n/a`` have none)."""
    return any(t[0] == 3 for t in tokens(version))


def in_range(
    version: str,
    start_including: str = "",
    start_excluding: str = "",
    end_including: str = "",
    end_excluding: str = "",
) -> bool:
    """Whether ``version`` lies inside the bounds given (empty bound = open)."""
    if start_including and compare(version, start_including) < 0:
        return False
    if start_excluding and compare(version, start_excluding) <= 0:
        return False
    if end_including and compare(version, end_including) > 0:
        return False
    return not (end_excluding and compare(version, end_excluding) >= 0)


def upstream_version(version: str) -> str:
    """Drop a package manager's epoch and revision: ``1:1.19.4-6`` -> ``1.19.4``.

    Date versions (``2013-01-29-<hash>``) keep their date; ``1.0-beta-4`` keeps ``1.0-beta``.
    """
    text = version.strip()
    if re.match(r"^\d+:", text):
        text = text.split(":", 1)[1]
    date = _DATE.match(text)
    if date:
        return "".join(date.groups())
    if "+" in text and text.split("+", 1)[0][:1].isdigit():
        text = text.split("+", 1)[0]
    first, _, rest = text.partition("-")
    if rest and rest[:1].isdigit() and first[:1].isdigit():
        return first
    m = _REVISION.match(text)
    if m:
        return m.group("up")
    return text
