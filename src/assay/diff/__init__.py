"""Firmware diff: what changed between two assessments (components, vulnerabilities,
check findings, norm verdicts)."""

from __future__ import annotations

from assay.diff.core import ComponentChange, Diff, ResultChange, VulnChange, diff_assessments
from assay.diff.render import render_text
from assay.diff.versions import compare_versions

__all__ = [
    "ComponentChange",
    "Diff",
    "ResultChange",
    "VulnChange",
    "compare_versions",
    "diff_assessments",
    "render_text",
]
