"""The one document every stage adds to and every presenter renders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assay.model.check import Finding, RequirementVerdict
from assay.model.component import Component
from assay.model.identity import Identity
from assay.model.problem import Problem
from assay.model.vulnerability import VulnerabilityMatch

SCHEMA_VERSION = "1.0.0"


@dataclass(frozen=True)
class Target:
    """The input as the user gave it."""

    path: str  # as given (file name only is kept in outputs)
    kind: str  # image | directory | archive | sbom
    sha256: str = ""
    size: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.path, "kind": self.kind, "sha256": self.sha256, "size": self.size}


@dataclass
class Assessment:
    """Everything known about one target. Stages append; presenters read."""

    target: Target
    tool_version: str
    created: str  # ISO-8601 UTC
    identity: Identity = field(default_factory=Identity)
    components: list[Component] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    vulnerabilities: list[VulnerabilityMatch] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    verdicts: list[RequirementVerdict] = field(default_factory=list)
    declaration: dict[str, Any] | None = None
    # free-form per-stage facts (e.g. rootfs list, extraction stats, store revision)
    facts: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "assay", "version": self.tool_version},
            "created": self.created,
            "target": self.target.to_dict(),
            "identity": self.identity.to_dict(),
            "components": [c.to_dict() for c in self.components],
            "vulnerabilities": [v.to_dict() for v in self.vulnerabilities],
            "findings": [f.to_dict() for f in self.findings],
            "verdicts": [v.to_dict() for v in self.verdicts],
            "declaration": self.declaration,
            "problems": [p.to_dict() for p in self.problems],
            "facts": self.facts,
        }
