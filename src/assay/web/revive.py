"""Rebuild an ``Assessment`` from its stored ``to_dict()`` form (for the developer report).

Tolerant: unknown keys are ignored and missing ones take the dataclass defaults, so documents
written by older or newer Assay versions still render.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from assay.model.assessment import Assessment, Target
from assay.model.check import Evidence, Finding, RequirementVerdict, Verdict
from assay.model.component import Component
from assay.model.identity import Identity
from assay.model.problem import Problem
from assay.model.vulnerability import VulnerabilityMatch

T = TypeVar("T")
TUPLES = {
    "found_by",
    "locations",
    "files",
    "depends",
    "aliases",
    "cwes",
    "references",
    "evidence",
    "missing",
}


def _build(cls: type[T], data: Any, **override: Any) -> T:
    data = data if isinstance(data, dict) else {}
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    kwargs = {
        k: (tuple(v) if k in TUPLES and isinstance(v, list) else v)
        for k, v in data.items()
        if k in names
    }
    kwargs.update(override)
    return cls(**kwargs)


def _verdict(value: Any) -> Verdict:
    try:
        return Verdict(str(value))
    except ValueError:
        return Verdict.INCONCLUSIVE


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> list[dict[str, Any]]:
    return [v for v in value or [] if isinstance(v, dict)]


def assessment_from_dict(doc: dict[str, Any]) -> Assessment:
    target = _mapping(doc.get("target"))
    identity = doc.get("identity")
    return Assessment(
        target=Target(
            path=str(target.get("name") or ""),
            kind=str(target.get("kind") or "image"),
            sha256=str(target.get("sha256") or ""),
            size=int(target.get("size") or 0),
        ),
        tool_version=str(_mapping(doc.get("tool")).get("version") or ""),
        created=str(doc.get("created") or ""),
        identity=_build(Identity, identity),
        components=[
            _build(Component, c, properties=tuple(sorted((c.get("properties") or {}).items())))
            for c in _items(doc.get("components"))
        ],
        problems=[_build(Problem, p) for p in _items(doc.get("problems"))],
        vulnerabilities=[_build(VulnerabilityMatch, v) for v in _items(doc.get("vulnerabilities"))],
        findings=[
            _build(
                Finding,
                f,
                verdict=_verdict(f.get("verdict")),
                evidence=tuple(_build(Evidence, e) for e in _items(f.get("evidence"))),
            )
            for f in _items(doc.get("findings"))
        ],
        verdicts=[
            _build(RequirementVerdict, v, verdict=_verdict(v.get("verdict")))
            for v in _items(doc.get("verdicts"))
        ],
        declaration=_mapping(doc.get("declaration")) or None,
        facts=_mapping(doc.get("facts")),
    )
