"""Partial failure is data: a ``Problem`` says what could not be read, where and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, order=True)
class Problem:
    """Something a stage could not do; the run goes on and reports it."""

    stage: str  # extract, catalog, vulns, checks, norms, present
    path: str  # path inside the image (or the input file) it concerns; "" if none
    message: str  # what went wrong, one line
    resolution: str = ""  # what Assay did about it / what the user can do

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "path": self.path,
            "message": self.message,
            "resolution": self.resolution,
        }
