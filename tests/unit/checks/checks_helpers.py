"""Helpers shared by the checks tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

from collections.abc import Callable

from assay.checks import CheckContext, get_check
from assay.extract.rootfs import RootFS
from assay.model.check import Finding

Tree = Callable[..., RootFS]


def run(check_id: str, *roots: RootFS) -> Finding:
    """Run one check on the given root filesystems."""
    return get_check(check_id).run(CheckContext(rootfs=list(roots)))


def paths(finding: Finding) -> set[str]:
    return {e.path for e in finding.evidence}
