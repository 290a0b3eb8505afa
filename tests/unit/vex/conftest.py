"""A real assessment document of the bundled TL-WR703N image (see realdata.py)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from realdata import assessment

from assay.extract.rootfs import RootFS


@pytest.fixture(scope="session")
def wr703n_assessment(
    shared_data: Path, wr703n_image: Path, wr703n_rootfs: RootFS
) -> dict[str, Any]:
    sha = hashlib.sha256(wr703n_image.read_bytes()).hexdigest()
    return assessment(
        shared_data, wr703n_rootfs.root, "TP-Link", "TL-WR703N", sha, wr703n_image.name
    )


@pytest.fixture
def fresh(wr703n_assessment: dict[str, Any]) -> dict[str, Any]:
    """A deep copy a test may change."""
    copy: dict[str, Any] = json.loads(json.dumps(wr703n_assessment))
    return copy
