"""What changed between two assessments of a product's firmware."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from assay.diff.versions import compare_versions

IDENTITY_FIELDS = (
    "os_name",
    "os_version",
    "os_build",
    "kernel_version",
    "arch",
    "vendor",
    "model",
    "hardware_version",
)


@dataclass(frozen=True)
class ComponentChange:
    name: str
    change: str  # added | removed | upgraded | downgraded | changed
    old_version: str = ""
    new_version: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "change": self.change,
            "old_version": self.old_version,
            "new_version": self.new_version,
        }


@dataclass(frozen=True)
class VulnChange:
    id: str
    component: str  # component name (refs change with versions)
    change: str  # fixed | introduced
    severity: str = ""
    kev: bool = False
    version: str = ""  # the component version that carries it (old one if fixed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "component": self.component,
            "change": self.change,
            "severity": self.severity,
            "kev": self.kev,
            "version": self.version,
        }


@dataclass(frozen=True)
class ResultChange:
    """A check finding or a norm verdict whose result changed (or appeared / disappeared)."""

    key: str  # check id, or "norm requirement"
    old: str  # "" when absent
    new: str

    def to_dict(self) -> dict[str, str]:
        return {"key": self.key, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class Diff:
    old_name: str
    new_name: str
    identity: tuple[tuple[str, str, str], ...] = ()  # (field, old, new)
    components: tuple[ComponentChange, ...] = ()
    vulnerabilities: tuple[VulnChange, ...] = ()
    findings: tuple[ResultChange, ...] = ()
    verdicts: tuple[ResultChange, ...] = ()
    unchanged_components: int = 0
    still_open: tuple[str, ...] = field(default=())  # vulnerability ids in both

    @property
    def empty(self) -> bool:
        return not (
            self.identity
            or self.components
            or self.vulnerabilities
            or self.findings
            or self.verdicts
        )

    def of(self, change: str) -> list[ComponentChange]:
        return [c for c in self.components if c.change == change]

    def fixed(self) -> list[VulnChange]:
        return [v for v in self.vulnerabilities if v.change == "fixed"]

    def introduced(self) -> list[VulnChange]:
        return [v for v in self.vulnerabilities if v.change == "introduced"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old_name,
            "new": self.new_name,
            "identity": [{"field": f, "old": o, "new": n} for f, o, n in self.identity],
            "components": [c.to_dict() for c in self.components],
            "unchanged_components": self.unchanged_components,
            "vulnerabilities": [v.to_dict() for v in self.vulnerabilities],
            "still_open": list(self.still_open),
            "findings": [f.to_dict() for f in self.findings],
            "verdicts": [v.to_dict() for v in self.verdicts],
            "summary": {
                "added": len(self.of("added")),
                "removed": len(self.of("removed")),
                "upgraded": len(self.of("upgraded")),
                "downgraded": len(self.of("downgraded")),
                "changed": len(self.of("changed")),
                "fixed": len(self.fixed()),
                "introduced": len(self.introduced()),
            },
        }


def _name_of(assessment: dict[str, Any]) -> str:
    target = assessment.get("target") or {}
    return str(target.get("name") or "assessment")


def _versions(assessment: dict[str, Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for comp in assessment.get("components") or []:
        out[str(comp.get("name", ""))].add(str(comp.get("version", "")))
    return out


def _components(old: dict[str, Any], new: dict[str, Any]) -> tuple[list[ComponentChange], int]:
    before, after = _versions(old), _versions(new)
    out: list[ComponentChange] = []
    same = 0
    for name in sorted(set(before) | set(after)):
        a, b = before.get(name, set()), after.get(name, set())
        if a == b:
            same += 1
            continue
        if not a or not b:
            if a:
                out.extend(ComponentChange(name, "removed", v, "") for v in sorted(a))
            else:
                out.extend(ComponentChange(name, "added", "", v) for v in sorted(b))
            continue
        if len(a) == 1 and len(b) == 1:
            va, vb = next(iter(a)), next(iter(b))
            order = compare_versions(va, vb)
            kind = "upgraded" if order < 0 else "downgraded" if order > 0 else "changed"
            out.append(ComponentChange(name, kind, va, vb))
            continue
        # several versions of one name (e.g. two copies of a library): compare the sets
        out.extend(ComponentChange(name, "removed", v, "") for v in sorted(a - b))
        out.extend(ComponentChange(name, "added", "", v) for v in sorted(b - a))
    return out, same


def _component_names(assessment: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {
        str(c.get("purl") or f"{c.get('name')}@{c.get('version')}"): (
            str(c.get("name", "")),
            str(c.get("version", "")),
        )
        for c in assessment.get("components") or []
    }


def _vulns(assessment: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    names = _component_names(assessment)
    out = {}
    for match in assessment.get("vulnerabilities") or []:
        ref = str(match.get("component", ""))
        name, version = names.get(ref, (ref.rsplit("@", 1)[0], ref.rpartition("@")[2]))
        out[(str(match.get("id", "")), name)] = {**match, "_version": version}
    return out


def _vuln_changes(old: dict[str, Any], new: dict[str, Any]) -> tuple[list[VulnChange], list[str]]:
    before, after = _vulns(old), _vulns(new)
    out = []
    for key in sorted(set(before) ^ set(after)):
        match = before.get(key) or after[key]
        change = "fixed" if key in before else "introduced"
        out.append(
            VulnChange(
                key[0],
                key[1],
                change,
                str(match.get("severity", "")),
                bool(match.get("kev")),
                str(match.get("_version", "")),
            )
        )
    still = sorted({k[0] for k in set(before) & set(after)})
    return out, still


def _results(items: list[dict[str, Any]] | None, key_fields: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        key = " ".join(str(item.get(f, "")) for f in key_fields)
        out[key] = str(item.get("verdict", ""))
    return out


def _result_changes(old: dict[str, str], new: dict[str, str]) -> list[ResultChange]:
    return [
        ResultChange(key, old.get(key, ""), new.get(key, ""))
        for key in sorted(set(old) | set(new))
        if old.get(key, "") != new.get(key, "")
    ]


def diff_assessments(old: dict[str, Any], new: dict[str, Any]) -> Diff:
    """Compare two ``assessment.json`` documents (``Assessment.to_dict()``)."""
    old_id, new_id = old.get("identity") or {}, new.get("identity") or {}
    identity = tuple(
        (f, str(old_id.get(f, "")), str(new_id.get(f, "")))
        for f in IDENTITY_FIELDS
        if str(old_id.get(f, "")) != str(new_id.get(f, ""))
    )
    components, same = _components(old, new)
    vulns, still = _vuln_changes(old, new)
    findings = _result_changes(
        _results(old.get("findings"), ("check",)), _results(new.get("findings"), ("check",))
    )
    verdicts = _result_changes(
        _results(old.get("verdicts"), ("norm", "requirement")),
        _results(new.get("verdicts"), ("norm", "requirement")),
    )
    return Diff(
        old_name=_name_of(old),
        new_name=_name_of(new),
        identity=identity,
        components=tuple(components),
        vulnerabilities=tuple(vulns),
        findings=tuple(findings),
        verdicts=tuple(verdicts),
        unchanged_components=same,
        still_open=tuple(still),
    )
