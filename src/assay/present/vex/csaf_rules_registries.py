"""CSAF 2.0 mandatory tests that look values up in outside registries: 6.1.11 (the CWE
catalogue) and 6.1.12 (BCP 47 language tags, checked with ``langcodes``).

The CWE catalogue is bundled as data (``data/cwe/cwe_names.json.xz``: the id and name of every
weakness in every CWE release, see the SOURCES.md beside it). A CSAF 2.0 document does not say
which CWE release it follows, so two readings are offered:

- ``t_6_1_11`` (the mandatory test, as the OASIS reference validator applies it): the id is a
  weakness of the newest bundled release and the name is its name in that release.
- ``t_6_1_11_any_release`` (for importing other people's documents): the name may also be the
  entry's name in an earlier release, and an id above the highest one the catalogue knows is
  taken for a weakness added after it. It still fails made-up pairs such as CWE-79 named after
  CWE-20.

Names are compared without surrounding blanks: MITRE's own XML has carried a trailing blank in
at least one name (CWE-280 in 4.14), which real advisories copied.
"""

from __future__ import annotations

import json
import lzma
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from langcodes import Language, tag_is_valid
from langcodes.tag_parser import LanguageTagError

from assay.errors import InputError
from assay.present.vex.csaf_rules import Doc, RuleFailure, Test, vulnerabilities

CWE_DATA = "data/cwe/cwe_names.json.xz"


@dataclass(frozen=True)
class NameSpan:
    """One name a CWE entry carried, from release ``first`` to release ``last``."""

    name: str
    first: str
    last: str


@dataclass(frozen=True)
class CweCatalogue:
    """The weaknesses of every CWE release, by id (``CWE-79``)."""

    releases: tuple[str, ...]  # oldest first
    names: Mapping[str, tuple[NameSpan, ...]]

    @property
    def latest(self) -> str:
        return self.releases[-1]

    @property
    def highest_id(self) -> int:
        return max(int(cwe_id[4:]) for cwe_id in self.names)

    def current_name(self, cwe_id: str) -> str | None:
        """The entry's name in the newest release, or None when it is not a weakness there."""
        spans = self.names.get(cwe_id, ())
        return spans[-1].name if spans and spans[-1].last == self.latest else None

    def former(self, cwe_id: str, name: str) -> NameSpan | None:
        """The span of releases in which ``name`` was this entry's name, if any."""
        wanted = name.strip()
        return next((s for s in self.names.get(cwe_id, ()) if s.name == wanted), None)


@cache
def cwe_catalogue() -> CweCatalogue:
    """The bundled CWE catalogue (read once)."""
    resource = files("assay.present.vex").joinpath(CWE_DATA)
    try:
        data: dict[str, Any] = json.loads(lzma.decompress(resource.read_bytes()))
    except (OSError, lzma.LZMAError, ValueError) as exc:
        raise InputError(
            f"the bundled CWE catalogue {CWE_DATA} is missing or damaged ({exc})",
            hint="reinstall Assay",
        ) from exc
    return CweCatalogue(
        releases=tuple(release for release, _date in data["releases"]),
        names={
            cwe_id: tuple(NameSpan(*span) for span in spans)
            for cwe_id, spans in data["weaknesses"].items()
        },
    )


def cwe_name(cwe_id: str) -> str | None:
    """The current name of weakness ``cwe_id`` (``CWE-79``), for writers of CSAF documents."""
    return cwe_catalogue().current_name(cwe_id)


def _cwe_problem(cwe_id: str, name: str, any_release: bool) -> str | None:
    cat = cwe_catalogue()
    current, old = cat.current_name(cwe_id), cat.former(cwe_id, name)
    if any_release and old is not None:
        return None
    if any_release and cwe_id[4:].isdigit() and int(cwe_id[4:]) > cat.highest_id:
        return None  # probably a weakness added after the bundled release
    if current is None:
        spans = cat.names.get(cwe_id)
        if spans:
            was = f"it was until CWE {spans[-1].last}, named {spans[-1].name!r}"
            return f"{cwe_id} is not a weakness in CWE {cat.latest} ({was})"
        return f"{cwe_id} is not a weakness in any CWE release up to {cat.latest}"
    if name.strip() == current:
        return None
    if old is not None:
        return (
            f"{cwe_id} is named {current!r} in CWE {cat.latest}; {name.strip()!r} is its "
            f"name in CWE {old.first}-{old.last}"
        )
    return f"{cwe_id} is named {current!r} in CWE {cat.latest}, not {name!r}"


def _cwe_failures(doc: Doc, any_release: bool) -> list[RuleFailure]:
    out = []
    for vpath, vuln in vulnerabilities(doc):
        cwe = vuln.get("cwe")
        if not isinstance(cwe, dict):
            continue
        cwe_id, name = cwe.get("id"), cwe.get("name")
        if not isinstance(cwe_id, str) or not isinstance(name, str):
            continue  # the schema reports a missing or mistyped field
        problem = _cwe_problem(cwe_id, name, any_release)
        if problem:
            out.append(RuleFailure("6.1.11", f"{vpath}.cwe", problem))
    return out


def t_6_1_11(doc: Doc) -> list[RuleFailure]:
    """The CWE id and name agree with the newest bundled CWE release."""
    return _cwe_failures(doc, any_release=False)


def t_6_1_11_any_release(doc: Doc) -> list[RuleFailure]:
    """The CWE id and name agree with some CWE release (or the id is newer than the catalogue)."""
    return _cwe_failures(doc, any_release=True)


def _unregistered(lang: Language) -> str | None:
    """The first subtag of a parsed tag that the registry does not hold."""
    parts: list[tuple[str, Language]] = [(lang.language or "", Language.make(lang.language))]
    if lang.script:
        parts.append((lang.script, Language.make("und", script=lang.script)))
    if lang.territory:
        parts.append((lang.territory, Language.make("und", territory=lang.territory)))
    parts += [(v, Language.make("und", variants=[v])) for v in lang.variants or []]
    return next((sub for sub, alone in parts if sub and not alone.is_valid()), None)


def language_tag_problem(tag: str) -> str | None:
    """Why ``tag`` is not a valid BCP 47 language tag, or None when it is one."""
    if "_" in tag:
        return f"{tag!r} is not a BCP 47 language tag: subtags are separated by '-', not '_'"
    if tag_is_valid(tag):
        return None
    try:
        parsed = Language.get(tag, normalize=False)
    except LanguageTagError as exc:
        detail = str(exc).rstrip(".")
        return f"{tag!r} is not a well-formed BCP 47 language tag ({detail})"
    if len(parsed.extlangs or []) > 1:
        return f"{tag!r} is not a valid language tag: it has more than one extended language"
    sub = _unregistered(parsed)
    if sub:
        return f"{tag!r} is not a valid language tag: {sub!r} is not a registered subtag"
    return f"{tag!r} is not a valid language tag: it repeats a variant or an extension"


def t_6_1_12(doc: Doc) -> list[RuleFailure]:
    """``document.lang`` and ``document.source_lang`` are valid BCP 47 language tags."""
    document = doc.get("document")
    if not isinstance(document, dict):
        return []
    out = []
    for key in ("lang", "source_lang"):
        tag = document.get(key)
        if isinstance(tag, str):
            problem = language_tag_problem(tag)
            if problem:
                out.append(RuleFailure("6.1.12", f"$.document.{key}", problem))
    return out


REGISTRY_TESTS: dict[str, Test] = {"6.1.11": t_6_1_11, "6.1.12": t_6_1_12}
# Replaces the strict 6.1.11 when a document written by someone else is imported.
LENIENT_REGISTRY_TESTS: dict[str, Test] = {"6.1.11": t_6_1_11_any_release}
