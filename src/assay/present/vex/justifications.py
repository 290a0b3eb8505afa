"""The justification table (``justifications.yaml``) and lookups in each direction."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

import yaml


@cache
def table() -> dict[str, dict[str, Any]]:
    text = files("assay.present.vex").joinpath("justifications.yaml").read_text(encoding="utf-8")
    data: dict[str, dict[str, Any]] = yaml.safe_load(text)
    return data


def to_format(code: str, fmt: str) -> str:
    """The word ``fmt`` (csaf_flag, openvex, cyclonedx) uses for a neutral code ("" if none)."""
    return str(table().get(code, {}).get(fmt, ""))


def from_format(word: str, fmt: str) -> str:
    """The neutral code for a format's word ("" when the word is not a known justification)."""
    for code, row in table().items():
        if fmt == "cyclonedx":
            if word in row.get("cyclonedx_import", []):
                return code
        elif row.get(fmt) == word:
            return code
    return ""
