"""``assess()``: the only module that knows every stage. It does no I/O of its own beyond
handing the work directory to the stages.

    extract -> catalog -> vulns -> checks -> norms        (present is called by the edges)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assay.extract.rootfs import RootFS
from assay.model.assessment import Assessment

# An observer gets (stage, message) as the work goes on; the CLI draws a progress line.
Observer = Callable[[str, str], None]


def _silent(stage: str, message: str) -> None:
    return None


@dataclass(frozen=True)
class ScanOptions:
    """Everything that changes how a scan runs."""

    work_dir: Path
    timeout: float = 600.0  # seconds for the whole extraction
    max_depth: int = 10  # nesting depth of archives inside archives
    max_size: int = 2 * 1024**3  # bytes extracted in all
    declaration: Path | None = None
    store: Path | None = None  # vulnerability store; None = Assay's default
    match_vulnerabilities: bool = True
    run_checks: bool = True
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class ScanResult:
    """The assessment plus the unpacked trees (valid while the work directory exists)."""

    assessment: Assessment
    rootfs: list[RootFS]
