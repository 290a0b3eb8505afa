"""Assessments of the two real OpenWrt 12.09 images (TL-WR703N, TL-MR3020)."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

import pytest

from assay.extract.rootfs import RootFS

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "vex"))
from realdata import assessment, unpack_mr3020  # noqa: E402


@pytest.fixture(scope="session")
def wr703n(shared_data: Path, wr703n_image: Path, wr703n_rootfs: RootFS) -> dict[str, Any]:
    sha = hashlib.sha256(wr703n_image.read_bytes()).hexdigest()
    return assessment(shared_data, wr703n_rootfs.root, "TP-Link", "TL-WR703N", sha, "wr703n.bin")


@pytest.fixture(scope="session")
def mr3020(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = unpack_mr3020(shared_data, tmp_path_factory.mktemp("mr3020"))
    return assessment(shared_data, root, "TP-Link", "TL-MR3020", "", "mr3020.bin")
