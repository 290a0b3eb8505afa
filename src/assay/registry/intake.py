"""Turn a target into an assessment document: an ``assessment.json`` as is, or an image scanned
by ``assay.pipeline.assess``."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from assay.errors import InputError
from assay.registry.inputs import looks_like_json, parse_assessment


def assessment_of(
    target: Path, declaration_file: Path | None = None
) -> tuple[dict[str, Any], bool]:
    """The assessment document of ``target`` (an assessment.json, or an image to scan) and
    whether Assay made it here (True: scanned now; False: a document as given)."""
    if not target.exists():
        raise InputError(
            f"{target}: no such file or directory", "give an image or an assessment.json"
        )
    if target.is_file():
        with target.open("rb") as handle:
            head = handle.read(64)
        if looks_like_json(head):
            return parse_assessment(target.read_bytes(), target.name), False
    return scan(target, declaration_file), True


def scan(target: Path, declaration_file: Path | None) -> dict[str, Any]:
    """Scan ``target`` with the pipeline (in a temporary work directory)."""
    from assay.pipeline import ScanOptions, assess

    with tempfile.TemporaryDirectory(prefix="assay-scan-") as work:
        options = ScanOptions(work_dir=Path(work), declaration=declaration_file)
        document: dict[str, Any] = assess(target, options).assessment.to_dict()
    return document
