"""The label's words in each language: catalogues in ``i18n/<lang>.yaml`` (data, not code).

``words("de")("level", level=2)`` gives "Stufe 2 von 4"; ``language("fr-CH")`` gives "fr";
an unknown language is a ``UsageError`` naming the ones there are. English is the reference:
every catalogue has its keys and placeholders (tests/unit/label check that).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import yaml

from assay.errors import UsageError

LANGUAGES = ("en", "de", "fr", "es", "it", "nl")
DEFAULT = "en"
FOLDER = Path(__file__).resolve().parent / "i18n"


@dataclass(frozen=True)
class Words:
    """One language's catalogue."""

    lang: str
    strings: Mapping[str, str]
    months: tuple[str, ...]

    def __call__(self, key: str, **fields: object) -> str:
        return self.strings[key].format(**fields)

    def date(self, day: date) -> str:
        """A date with the month's short name, in the language's order ("30. Apr. 2016")."""
        return self("date", day=day.day, month=self.months[day.month - 1], year=day.year)


def language(value: str | None) -> str:
    """The catalogue for a language tag ("" or None: English; "de-AT": German)."""
    tag = (value or DEFAULT).strip().lower().replace("_", "-").split("-")[0]
    if tag not in LANGUAGES:
        raise UsageError(
            f"no label words in language {value!r}",
            f"use one of {', '.join(LANGUAGES)}",
        )
    return tag


@cache
def words(lang: str | None = DEFAULT) -> Words:
    """The catalogue of ``lang`` (see ``language``)."""
    tag = language(lang)
    data = yaml.safe_load((FOLDER / f"{tag}.yaml").read_text(encoding="utf-8"))
    months = tuple(str(m) for m in data.pop("months"))
    return Words(tag, {str(k): str(v) for k, v in data.items()}, months)
