"""A Debian package's licence from its copyright file (``/usr/share/doc/<package>/copyright``).

dpkg's database has no licence field; Debian keeps the licences in each package's copyright
file. A machine-readable one (DEP-5: a ``Format:`` header naming the copyright format) has a
``License:`` field per group of files, whose first line is a short name or a small expression
(``GPL-2+``, ``GPL-1+ or Artistic``, ``BSL-1.0 and MIT``). Those names become SPDX ids through
``data/debian_licences.yaml``; the package's licence is then the conjunction of every
distinct one (its files are under all of them). When a name has no SPDX counterpart
(``public-domain``, an exception with no SPDX id, a mix of ``and`` and ``or``), the names are
kept as written, comma-separated, so the SBOM shows them as a licence name rather than a
made-up expression.

A free-text copyright file is read only for the licence texts it points to in
``/usr/share/common-licenses``; those names are kept as written (the pointer to ``GPL-2``
does not say whether later versions are allowed).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import yaml

from assay.catalog.control import parse_stanzas

MAX_NAMES = 64
COMMON = re.compile(r"/usr/share/common-licenses/([A-Za-z0-9][A-Za-z0-9.+_-]*[A-Za-z0-9+])")
OPERATOR = re.compile(r"\s+(or|and)\s+", re.IGNORECASE)
EXCEPTION = re.compile(r"(.+?)\s+with\s+(\S+)\s+exception", re.IGNORECASE)


@cache
def _names() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    text = resources.files("assay.catalog").joinpath("data/debian_licences.yaml").read_text()
    data = yaml.safe_load(text)
    return dict(data["gnu"]), dict(data["other"]), dict(data["exceptions"])


def licence(text: str) -> str:
    """The licence a copyright file states: an SPDX expression, the names as written, or ""."""
    names = _dep5_names(text)
    if names is None:
        found = dict.fromkeys(m.group(1) for m in COMMON.finditer(text))
        return ", ".join(list(found)[:MAX_NAMES])
    if not names:
        return ""
    spdx = [to_spdx(name) for name in names]
    if any(item is None for item in spdx):
        return ", ".join(names)
    unique = list(dict.fromkeys(s for s in spdx if s))
    if len(unique) == 1:
        return unique[0]
    return " AND ".join(f"({s})" if " " in s else s for s in unique)


def _dep5_names(text: str) -> list[str] | None:
    """The distinct first lines of the ``License:`` fields, or None for a free-text file."""
    stanzas = parse_stanzas(text)
    header = next(stanzas, None)
    if header is None or "copyright-format" not in header.get("Format", ""):
        return None
    names: dict[str, None] = {}
    for fields in (header, *stanzas):
        value = fields.get("License", "").split("\n", 1)[0].strip()
        if value and len(names) < MAX_NAMES:
            names[value] = None
    return list(names)


def to_spdx(name: str) -> str | None:
    """``GPL-2+`` → ``GPL-2.0-or-later``; ``GPL-1+ or Artistic`` → ``GPL-1.0-or-later OR
    Artistic-1.0``; ``GPL-3+ with Bison exception`` → ``GPL-3.0-or-later WITH
    Bison-exception-2.2``; None when a term has no SPDX id or the expression is not a plain
    chain."""
    if "," in name:
        return None
    exception = EXCEPTION.fullmatch(name.strip())
    if exception:
        base = _term(exception.group(1))
        named = _names()[2].get(exception.group(2).lower())
        return f"{base} WITH {named}" if base and named and " " not in base else None
    if " with " in name.lower():
        return None
    parts = OPERATOR.split(name.strip())
    terms, operators = parts[0::2], {op.lower() for op in parts[1::2]}
    if len(operators) > 1:  # "a or b and c": DEP-5 leaves the grouping to commas
        return None
    mapped = [_term(term) for term in terms]
    if any(m is None for m in mapped):
        return None
    joiner = f" {operators.pop().upper()} " if operators else ""
    return joiner.join(m for m in mapped if m)


def _term(term: str) -> str | None:
    gnu, other, _ = _names()
    key = term.strip().lower()
    later = key.endswith("+")
    key = key.rstrip("+")
    if key in gnu:
        return gnu[key] + ("-or-later" if later else "-only")
    if key in other:
        return other[key] + ("+" if later else "")
    return None
