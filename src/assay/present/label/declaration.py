"""Read the label's facts out of a manufacturer's declaration, tolerant of its exact shape.

The declaration schema belongs to the norms stage; this reader only looks facts up by the
aliases in ``rules.yaml`` (``declaration_fields``), so a renamed field is a data change.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from assay.present.label.rules import RULES

_DATE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?")


def lookup(declaration: dict[str, Any] | None, fact: str) -> Any:
    """The first non-empty value at any of the dotted paths listed for ``fact``."""
    if not declaration:
        return None
    for path in RULES.declaration_fields.get(fact, ()):
        value: Any = declaration
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if value not in (None, "", [], {}):
            return value
    return None


def text(declaration: dict[str, Any] | None, fact: str) -> str:
    """A fact as one line of text ("" when absent; a mapping yields its ``name``)."""
    value = lookup(declaration, fact)
    if isinstance(value, dict):
        value = value.get("name") or value.get("value") or ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value).strip()


def support_until(declaration: dict[str, Any] | None) -> date | None:
    """The declared end of security support; a month alone means its last day."""
    value = lookup(declaration, "support_until")
    if isinstance(value, date):
        return value
    match = _DATE.match(str(value or "").strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        return None
    if match.group(3):
        try:
            return date(year, month, int(match.group(3)))
        except ValueError:
            return None
    following = date(year + month // 12, month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def flag(declaration: dict[str, Any] | None, fact: str) -> bool | None:
    """A declared yes/no (booleans, or words such as ``automatic``/``manual``)."""
    value = lookup(declaration, fact)
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in RULES.yes_words:
            return True
        if word in RULES.no_words:
            return False
    return None


def items(declaration: dict[str, Any] | None, fact: str) -> tuple[str, ...]:
    """A declared list of names (strings, or mappings with a ``name``/``category``/``type``)."""
    value = lookup(declaration, fact)
    if value is None:
        return ()
    if isinstance(value, str | dict):
        value = [value]
    if not isinstance(value, list):
        return ()
    names: list[str] = []
    for entry in value:
        if isinstance(entry, dict):
            entry = entry.get("name") or entry.get("category") or entry.get("type") or ""
        name = str(entry).strip()
        if name and name.lower() not in ("none", "no") and name not in names:
            names.append(name)
    return tuple(names)


def declared_none(declaration: dict[str, Any] | None, fact: str) -> bool:
    """True when the declaration says explicitly that there is nothing (``[]`` or ``none``)."""
    if not declaration:
        return False
    for path in RULES.declaration_fields.get(fact, ()):
        value: Any = declaration
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if value == [] or (isinstance(value, str) and value.strip().lower() in ("none", "no")):
            return True
    return False
