"""CSAF 2.0 mandatory tests on document tracking: versions, revision history, translation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from assay.present.vex.csaf_rules import Doc, RuleFailure, Test

SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
INTEGER = re.compile(r"^(0|[1-9]\d*)$")


@dataclass(frozen=True)
class Version:
    """A CSAF version: an integer or a semantic version (build metadata kept apart)."""

    text: str
    semantic: bool
    major: int
    minor: int = 0
    patch: int = 0
    pre: str = ""
    build: str = ""

    def sort_key(self) -> tuple[Any, ...]:
        # a pre-release sorts before its release; numeric identifiers before alphanumeric
        pre: tuple[Any, ...] = (1,)
        if self.pre:
            pre = (
                0,
                *((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.pre.split(".")),
            )
        return (self.major, self.minor, self.patch, pre)

    @property
    def without_build(self) -> str:
        return self.text.split("+", 1)[0]


def parse_version(text: Any) -> Version | None:
    if not isinstance(text, str):
        return None
    if INTEGER.match(text):
        return Version(text, False, int(text))
    m = SEMVER.match(text)
    if not m:
        return None
    major, minor, patch, pre, build = m.groups()
    return Version(text, True, int(major), int(minor), int(patch), pre or "", build or "")


def _tracking(doc: Doc) -> dict[str, Any]:
    document = doc.get("document") if isinstance(doc.get("document"), dict) else {}
    tracking = document.get("tracking") if isinstance(document, dict) else None
    return tracking if isinstance(tracking, dict) else {}


def _history(doc: Doc) -> list[tuple[int, dict[str, Any], Version]]:
    out = []
    history = _tracking(doc).get("revision_history")
    for i, item in enumerate(history if isinstance(history, list) else []):
        if isinstance(item, dict):
            version = parse_version(item.get("number"))
            if version is not None:
                out.append((i, item, version))
    return out


def _date(text: Any) -> datetime:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return datetime.min


HISTORY = "$.document.tracking.revision_history"
VERSION = "$.document.tracking.version"


def t_6_1_14(doc: Doc) -> list[RuleFailure]:
    items = sorted(_history(doc), key=lambda t: (_date(t[1].get("date")), t[2].sort_key()))
    out = []
    for (_, _, prev), (i, _, cur) in zip(items, items[1:], strict=False):
        if cur.sort_key() < prev.sort_key():
            msg = f"revision {cur.text} is dated after revision {prev.text}"
            out.append(RuleFailure("6.1.14", f"{HISTORY}[{i}].number", msg))
    return out


def t_6_1_16(doc: Doc) -> list[RuleFailure]:
    tracking = _tracking(doc)
    version = parse_version(tracking.get("version"))
    items = _history(doc)
    if version is None or not items:
        return []
    latest = max(items, key=lambda t: t[2].sort_key())[2]
    a, b = version.without_build, latest.without_build
    if tracking.get("status") == "draft":
        a, b = a.split("-", 1)[0], b.split("-", 1)[0]
    if a != b:
        msg = f"version {version.text} is not the latest revision ({latest.text})"
        return [RuleFailure("6.1.16", VERSION, msg)]
    return []


def t_6_1_17(doc: Doc) -> list[RuleFailure]:
    tracking = _tracking(doc)
    version = parse_version(tracking.get("version"))
    if version and (version.major == 0 or version.pre) and tracking.get("status") != "draft":
        msg = f"version {version.text} is a draft version but the status is not draft"
        return [RuleFailure("6.1.17", "$.document.tracking.status", msg)]
    return []


def t_6_1_18(doc: Doc) -> list[RuleFailure]:
    if _tracking(doc).get("status") not in ("final", "interim"):
        return []
    return [
        RuleFailure("6.1.18", f"{HISTORY}[{i}].number", f"{v.text} is a draft revision")
        for i, _, v in _history(doc)
        if v.major == 0
    ]


def t_6_1_19(doc: Doc) -> list[RuleFailure]:
    return [
        RuleFailure("6.1.19", f"{HISTORY}[{i}].number", f"{v.text} has a pre-release part")
        for i, _, v in _history(doc)
        if v.pre
    ]


def t_6_1_20(doc: Doc) -> list[RuleFailure]:
    tracking = _tracking(doc)
    version = parse_version(tracking.get("version"))
    if version and version.pre and tracking.get("status") in ("final", "interim"):
        msg = f"version {version.text} has a pre-release part in a {tracking['status']} document"
        return [RuleFailure("6.1.20", VERSION, msg)]
    return []


def t_6_1_21(doc: Doc) -> list[RuleFailure]:
    items = sorted(_history(doc), key=lambda t: t[2].sort_key())
    if not items:
        return []
    majors = sorted({v.major for _, _, v in items})
    out = []
    if majors[0] not in (0, 1):
        i = items[0][0]
        msg = f"revision history starts at {items[0][2].text}, not 0 or 1"
        out.append(RuleFailure("6.1.21", f"{HISTORY}[{i}].number", msg))
    for prev, cur in zip(majors, majors[1:], strict=False):
        if cur - prev > 1:
            msg = f"revision history jumps from {prev} to {cur}"
            out.append(RuleFailure("6.1.21", HISTORY, msg))
    return out


def t_6_1_22(doc: Doc) -> list[RuleFailure]:
    seen: set[str] = set()
    out = []
    for i, _, v in _history(doc):
        if v.text in seen:
            out.append(RuleFailure("6.1.22", f"{HISTORY}[{i}].number", f"{v.text} listed twice"))
        seen.add(v.text)
    return out


def t_6_1_30(doc: Doc) -> list[RuleFailure]:
    version = parse_version(_tracking(doc).get("version"))
    kinds = {v.semantic for _, _, v in _history(doc)}
    if version is not None:
        kinds.add(version.semantic)
    if len(kinds) > 1:
        msg = "integer and semantic versions are mixed"
        return [RuleFailure("6.1.30", "$.document.tracking", msg)]
    return []


def t_6_1_15_28(doc: Doc) -> list[RuleFailure]:
    document = doc.get("document") if isinstance(doc.get("document"), dict) else {}
    assert isinstance(document, dict)
    publisher = document.get("publisher") if isinstance(document.get("publisher"), dict) else {}
    out = []
    translator = isinstance(publisher, dict) and publisher.get("category") == "translator"
    if translator and "source_lang" not in document:
        msg = "a translator's document must name its source_lang"
        out.append(RuleFailure("6.1.15", "$.document", msg))
    lang, source = document.get("lang"), document.get("source_lang")
    if lang and source and str(lang).lower() == str(source).lower():
        out.append(RuleFailure("6.1.28", "$.document.lang", "lang equals source_lang"))
    return out


TRACKING_TESTS: dict[str, Test] = {
    "6.1.14": t_6_1_14,
    "6.1.15/6.1.28": t_6_1_15_28,
    "6.1.16": t_6_1_16,
    "6.1.17": t_6_1_17,
    "6.1.18": t_6_1_18,
    "6.1.19": t_6_1_19,
    "6.1.20": t_6_1_20,
    "6.1.21": t_6_1_21,
    "6.1.22": t_6_1_22,
    "6.1.30": t_6_1_30,
}
