"""Scan-time suppression: VEX documents and an ignore file applied to a scan's matches.

``assay scan --vex FILE`` (CSAF VEX, OpenVEX or CycloneDX VEX, read by ``present.vex``) and
``--ignore FILE`` (or ``.assay-ignore.yaml`` in the working directory) mark the matches they
cover with ``suppressed``: who (``vex`` / ``ignore``), the status, the justification and the
reason, the file they came from. A suppressed match stays in every output with that reason; it
no longer counts (``assay.vulns.counts``: the level, the label, the norms, ``--fail-on``).

A VEX statement suppresses when the statement that fits a match best (``vex.resolve``: the
component in this firmware beats the component anywhere, which beats the whole firmware) says
``not_affected`` or ``fixed``; ``affected`` and ``under_investigation`` leave it counting.

An ignore file is a list of entries (or a mapping whose one key ``ignore`` holds the list)::

    - id: CVE-2016-3116            # the vulnerability (or one of its aliases)
      component: pkg:opkg/openwrt/dropbear   # optional: PURL (with or without version), name
      reason: X11 forwarding is disabled and no xauth ships   # required
      expires: 2027-06-30           # optional: from that day on the entry no longer applies

An expired entry is reported as a problem and its matches count again. VEX comes first: a match
a statement suppresses is not also claimed by an ignore entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.errors import InputError
from assay.model.assessment import Assessment
from assay.model.problem import Problem
from assay.model.vulnerability import VulnerabilityMatch
from assay.safeload import load_yaml, read_file

if TYPE_CHECKING:  # the VEX package costs seconds to import: only scans with --vex pay it
    from assay.present.vex.model import VexStatement
    from assay.present.vex.product import ComponentRef

DEFAULT_IGNORE = ".assay-ignore.yaml"
ENTRY_KEYS = ("id", "component", "reason", "expires")
SUPPRESSING = ("not_affected", "fixed")  # VEX statuses that suppress
MAX_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class IgnoreEntry:
    """One entry of an ignore file."""

    id: str
    reason: str
    component: str = ""
    expires: dt.date | None = None

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and self.expires < today

    def covers(self, match: VulnerabilityMatch, component: ComponentRef) -> bool:
        ids = {match.id.upper(), *(a.upper() for a in match.aliases)}
        if self.id.upper() not in ids:
            return False
        return not self.component or self.component in _names(component)


def _names(component: ComponentRef) -> set[str]:
    """Every way an ignore entry may name a component: its keys (ref, PURL with and without
    qualifiers, name@version, CPE), its name, its PURL without version."""
    from assay.present.vex.product import normalize_purl

    names = set(component.keys) | {component.name}
    purl = normalize_purl(component.purl)
    if purl and "@" in purl:
        names.add(purl.rsplit("@", 1)[0])
    return {n for n in names if n}


def load_ignore(path: Path) -> list[IgnoreEntry]:
    """The entries of an ignore file; ``InputError`` names the entry and the key at fault."""
    what = f"ignore file {path.name}"
    data = load_yaml(read_file(path, what, max_bytes=MAX_BYTES), what, max_bytes=MAX_BYTES)
    if isinstance(data, dict) and set(data) == {"ignore"}:
        data = data["ignore"]
    if data is None:
        return []
    hint = f"each entry has id and reason, optionally component and expires (see {DEFAULT_IGNORE})"
    if not isinstance(data, list):
        raise InputError(f"{what}: expected a list of entries", hint)
    return [_entry(item, f"{what}: entry {n}", hint) for n, item in enumerate(data, 1)]


def _entry(item: Any, where: str, hint: str) -> IgnoreEntry:
    if not isinstance(item, dict):
        raise InputError(f"{where}: expected a mapping with id and reason", hint)
    for key in item:
        if key not in ENTRY_KEYS:
            known = f"known keys: {', '.join(ENTRY_KEYS)}"
            raise InputError(f"{where}: unknown key {key!r}", known)
    text = {k: item[k] for k in ("id", "component", "reason") if k in item}
    for key, value in text.items():
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"{where}: {key} must be non-empty text", hint)
    if "id" not in text:
        raise InputError(f"{where}: no id (the vulnerability to ignore)", hint)
    if "reason" not in text:
        raise InputError(f"{where} ({text['id']}): no reason (say why it is ignored)", hint)
    return IgnoreEntry(
        id=text["id"].strip(),
        reason=" ".join(text["reason"].split()),
        component=text.get("component", "").strip(),
        expires=_date(item.get("expires"), where),
    )


def _date(value: Any, where: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(
            f"{where}: expires {value!r} is not a date", "write it as YYYY-MM-DD"
        ) from None


def load_statements(paths: Sequence[Path]) -> list[VexStatement]:
    """The statements of VEX files (any format ``present.vex`` reads), each naming its file
    when its document has no id."""
    from assay.present.vex import load_vex

    out: list[VexStatement] = []
    for path in paths:
        for statement in load_vex(path):
            named = statement.source and not statement.source.endswith(":")
            out.append(statement if named else replace(statement, source=_named(statement, path)))
    return out


def _named(statement: VexStatement, path: Path) -> str:
    """``cyclonedx:vex.json`` for a document without a serial number or id."""
    return f"{statement.source}{path.name}" if statement.source else path.name


@dataclass
class Suppression:
    """What a scan was told to suppress."""

    statements: list[VexStatement] = field(default_factory=list)
    entries: list[IgnoreEntry] = field(default_factory=list)
    vex_files: list[str] = field(default_factory=list)
    ignore_file: str = ""

    @classmethod
    def load(cls, vex: Sequence[Path] = (), ignore: Path | None = None) -> Suppression:
        """Read every file now (a bad one stops the scan before it starts)."""
        entries = load_ignore(ignore) if ignore is not None else []
        return cls(
            statements=load_statements(vex),
            entries=entries,
            vex_files=[p.name for p in vex],
            ignore_file=ignore.name if ignore is not None else "",
        )

    def apply(self, assessment: Assessment, today: dt.date | None = None) -> dict[str, Any]:
        """Mark the matches of ``assessment`` that are covered; record what was done in
        ``facts["suppression"]`` (returned) and expired entries as problems."""
        from assay.present.vex.product import component_for, components_of

        today = today or dt.datetime.now(dt.UTC).date()
        matches = assessment.vulnerabilities
        document = _document(assessment)
        marks = self._vex_marks(document) if self.statements else [{} for _ in matches]
        known = components_of(document)
        live = [e for e in self.entries if not e.expired(today)]
        used: set[int] = set()
        for n, match in enumerate(matches):
            if marks[n]:
                continue
            component = component_for(match.component, known)
            for k, entry in enumerate(live):
                if entry.covers(match, component):
                    marks[n] = self._ignore_mark(entry)
                    used.add(k)
                    break
        pairs = zip(matches, marks, strict=True)
        assessment.vulnerabilities = [replace(m, suppressed=k) if k else m for m, k in pairs]
        expired = [e for e in self.entries if e.expired(today)]
        for entry in expired:
            what = entry.id + (f" on {entry.component}" if entry.component else "")
            assessment.problems.append(
                Problem(
                    "vulns",
                    self.ignore_file,
                    f"ignore entry {what} expired on {entry.expires}: its matches count again",
                    "review it, then renew the date or remove the entry",
                )
            )
        facts = {
            "vex_files": self.vex_files,
            "statements": len(self.statements),
            "ignore_file": self.ignore_file,
            "entries": len(self.entries),
            "suppressed_by_vex": sum(m.get("by") == "vex" for m in marks),
            "suppressed_by_ignore": sum(m.get("by") == "ignore" for m in marks),
            "expired_entries": [e.id for e in expired],
            "unused_entries": [e.id for k, e in enumerate(live) if k not in used],
        }
        assessment.facts["suppression"] = facts
        return facts

    def _vex_marks(self, document: dict[str, Any]) -> list[dict[str, str]]:
        from assay.present.vex import resolve

        given = {id(s) for s in self.statements}
        marks: list[dict[str, str]] = []
        for resolution in resolve(document, self.statements):  # one per match, in order
            statement = resolution.statement
            if statement is None or id(statement) not in given:
                marks.append({})  # no statement, or Assay's own automatic one
            elif statement.status not in SUPPRESSING:
                marks.append({})
            else:
                marks.append(_vex_mark(statement))
        return marks

    def _ignore_mark(self, entry: IgnoreEntry) -> dict[str, str]:
        mark = {
            "by": "ignore",
            "status": "ignored",
            "reason": entry.reason,
            "source": self.ignore_file,
            "expires": entry.expires.isoformat() if entry.expires else "",
        }
        return {k: v for k, v in mark.items() if v}


def _vex_mark(statement: VexStatement) -> dict[str, str]:
    reason = statement.impact if statement.status == "not_affected" else statement.action
    mark = {
        "by": "vex",
        "status": str(statement.status),
        "justification": statement.justification,
        "original_justification": statement.original_justification,
        "reason": " ".join((reason or statement.impact or statement.action).split()),
        "source": statement.source,
    }
    if mark["original_justification"] == mark["justification"]:
        mark["original_justification"] = ""
    return {k: v for k, v in mark.items() if v}


def _document(assessment: Assessment) -> dict[str, Any]:
    """The part of ``assessment.json`` the VEX resolver reads."""
    return {
        "target": assessment.target.to_dict(),
        "identity": assessment.identity.to_dict(),
        "declaration": assessment.declaration,
        "components": [
            {
                "name": c.name,
                "version": c.version,
                "purl": c.purl,
                "cpe": c.cpe,
            }
            for c in assessment.components
        ],
        "vulnerabilities": [
            {"id": m.id, "component": m.component, "aliases": list(m.aliases)}
            for m in assessment.vulnerabilities
        ],
    }
