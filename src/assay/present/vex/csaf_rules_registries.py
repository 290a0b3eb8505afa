"""CSAF 2.0 mandatory tests that look values up in outside registries: 6.1.11 (the CWE
catalogue) and 6.1.12 (BCP 47 language tags, checked against the IANA Language Subtag
Registry that the ``language-tags`` package ships).

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

Language tags follow RFC 5646 validity (section 2.2.9) over the registry, implemented here:
``language-tags``' own ``check`` refuses private-use (``qaa``, ``en-QM``) and deprecated
subtags, which the RFC counts as valid, and ``langcodes.tag_is_valid`` normalises first
(``root`` and ``en-999`` pass) against CLDR data and a 2021 registry.
"""

from __future__ import annotations

import json
import lzma
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from language_tags import data as language_tags_data  # type: ignore[import-untyped]

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


@dataclass(frozen=True)
class SubtagRegistry:
    """What of the IANA Language Subtag Registry validity needs, in lower case."""

    date: str  # the registry's File-Date
    subtags: Mapping[str, frozenset[str]]  # type (language, script, ...) -> subtags
    ranges: Mapping[str, tuple[tuple[str, str], ...]]  # private-use ranges such as qaa..qtz
    extlang_prefix: Mapping[str, str]  # extended language -> the language it must follow
    whole_tags: frozenset[str]  # grandfathered and redundant tags


@cache
def subtag_registry() -> SubtagRegistry:
    """The IANA registry as shipped by the ``language-tags`` package (read once)."""
    try:
        records: list[dict[str, Any]] = language_tags_data.get("registry")
        date = str(language_tags_data.get("meta")["File-Date"])
    except (OSError, KeyError, ValueError) as exc:
        raise InputError(
            f"the IANA language subtag registry of the language-tags package is unreadable ({exc})",
            hint="reinstall Assay's dependencies (pip install --force-reinstall language-tags)",
        ) from exc
    subtags: dict[str, set[str]] = {}
    ranges: dict[str, list[tuple[str, str]]] = {}
    prefix: dict[str, str] = {}
    whole: set[str] = set()
    for rec in records:
        kind = str(rec["Type"])
        if "Tag" in rec:
            whole.add(str(rec["Tag"]).lower())
            continue
        sub = str(rec["Subtag"]).lower()
        if ".." in sub:
            low, high = sub.split("..")
            ranges.setdefault(kind, []).append((low, high))
        else:
            subtags.setdefault(kind, set()).add(sub)
        if kind == "extlang":
            prefix[sub] = str(rec["Prefix"][0]).lower()
    return SubtagRegistry(
        date=date,
        subtags={kind: frozenset(subs) for kind, subs in subtags.items()},
        ranges={kind: tuple(pairs) for kind, pairs in ranges.items()},
        extlang_prefix=prefix,
        whole_tags=frozenset(whole),
    )


def _registered(reg: SubtagRegistry, kind: str, subtag: str) -> bool:
    sub = subtag.lower()
    if sub in reg.subtags.get(kind, ()):
        return True
    return any(len(sub) == len(lo) and lo <= sub <= hi for lo, hi in reg.ranges.get(kind, ()))


@dataclass(frozen=True)
class _Parts:
    """The subtags of a well-formed language tag (RFC 5646 section 2.1), as written."""

    language: str
    extlangs: tuple[str, ...]
    script: str
    region: str
    variants: tuple[str, ...]
    singletons: tuple[str, ...]


_SUBTAG = re.compile(r"[A-Za-z0-9]{1,8}\Z")


def _region(sub: str) -> bool:
    return (len(sub) == 2 and sub.isalpha()) or (len(sub) == 3 and sub.isdigit())


def _variant(sub: str) -> bool:
    return 5 <= len(sub) <= 8 or (len(sub) == 4 and sub[0].isdigit())


def _parse(subs: list[str]) -> _Parts | str:
    """The parts of a tag split at '-', or why it is not well-formed."""
    language, rest, i = subs[0], subs[1:], 0
    if not (language.isalpha() and len(language) >= 2):
        return f"it must start with a language subtag of 2 to 8 letters, not {language!r}"
    extlangs: list[str] = []
    while len(language) <= 3 and i < len(rest) and len(extlangs) < 3 and len(rest[i]) == 3:
        if not rest[i].isalpha():
            break
        extlangs.append(rest[i])
        i += 1
    script = region = ""
    if i < len(rest) and len(rest[i]) == 4 and rest[i].isalpha():
        script, i = rest[i], i + 1
    if i < len(rest) and _region(rest[i]):
        region, i = rest[i], i + 1
    variants: list[str] = []
    while i < len(rest) and _variant(rest[i]):
        variants.append(rest[i])
        i += 1
    singletons: list[str] = []
    while i < len(rest) and len(rest[i]) == 1 and rest[i].lower() != "x":
        start, i = i, i + 1
        while i < len(rest) and len(rest[i]) >= 2:
            i += 1
        if i == start + 1:
            return f"the extension {rest[start]!r} has no subtags after it"
        singletons.append(rest[start])
    if i < len(rest) and rest[i].lower() == "x":
        if i + 1 == len(rest):
            return "the private-use 'x' has no subtags after it"
        i = len(rest)
    if i < len(rest):
        return f"the subtag {rest[i]!r} is out of place"
    return _Parts(language, tuple(extlangs), script, region, tuple(variants), tuple(singletons))


def _duplicate(subtags: tuple[str, ...]) -> str | None:
    seen: set[str] = set()
    for sub in subtags:
        if sub.lower() in seen:
            return sub
        seen.add(sub.lower())
    return None


def _invalid(parts: _Parts, reg: SubtagRegistry) -> str | None:
    """Why a well-formed tag is not valid (RFC 5646 section 2.2.9), or None."""
    if len(parts.extlangs) > 1:
        return "it has more than one extended language subtag"
    for ext in parts.extlangs:
        if not _registered(reg, "extlang", ext):
            return f"{ext!r} is not a registered extended language subtag"
        want = reg.extlang_prefix.get(ext.lower(), "")
        if want != parts.language.lower():
            return f"the extended language {ext!r} may only follow {want!r}"
    named = [("language", parts.language), ("script", parts.script), ("region", parts.region)]
    for kind, sub in [*named, *(("variant", v) for v in parts.variants)]:
        if sub and not _registered(reg, kind, sub):
            return f"{sub!r} is not a registered {kind} subtag"
    if dup := _duplicate(parts.variants):
        return f"the variant {dup!r} appears twice"
    if dup := _duplicate(parts.singletons):
        return f"the extension {dup!r} appears twice"
    return None


def language_tag_problem(tag: str) -> str | None:
    """Why ``tag`` is not a valid BCP 47 language tag, or None when it is one.

    Valid means RFC 5646 section 2.2.9: well-formed, every language, extended language,
    script, region and variant subtag in the IANA registry (deprecated ones included), no
    variant or extension twice; grandfathered tags and private-use tags (``x-...``) are valid.
    """
    reg = subtag_registry()
    if "_" in tag:
        return f"{tag!r} is not a BCP 47 language tag: subtags are separated by '-', not '_'"
    subs = tag.split("-")
    bad = next((s for s in subs if not _SUBTAG.match(s)), None)
    if bad is not None:
        what = "an empty subtag" if not bad else f"the subtag {bad!r} is not 1-8 letters or digits"
        return f"{tag!r} is not a well-formed BCP 47 language tag: {what}"
    if tag.lower() in reg.whole_tags or (subs[0].lower() == "x" and len(subs) > 1):
        return None
    parts = _parse(subs)
    if isinstance(parts, str):
        return f"{tag!r} is not a well-formed BCP 47 language tag: {parts}"
    why = _invalid(parts, reg)
    return f"{tag!r} is not a valid BCP 47 language tag: {why}" if why else None


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
