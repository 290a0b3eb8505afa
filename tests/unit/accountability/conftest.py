"""Real KEV and NVD dates, and a real assessment of the WR703N image."""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from assay.accountability import Vulnerability
from assay.extract.rootfs import RootFS

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "vex"))
from realdata import assessment, nvd_records  # noqa: E402
from reaudit_world import World, split_feeds  # noqa: E402

KEV = "vulns/kev/known_exploited_vulnerabilities.json"


@pytest.fixture(scope="session")
def kev(shared_data: Path) -> dict[str, dict[str, Any]]:
    data = json.loads((shared_data / KEV).read_text())
    return {v["cveID"]: v for v in data["vulnerabilities"]}


@pytest.fixture(scope="session")
def vulns(shared_data: Path, kev: dict[str, dict[str, Any]]) -> dict[str, Vulnerability]:
    """Publication dates from the real NVD records, KEV dates from the real catalogue."""
    ids = ("CVE-2012-0920", "CVE-2013-2094", "CVE-2014-3153", "CVE-2016-5195")
    nvd = nvd_records(shared_data)
    return {
        cve: Vulnerability(
            cve,
            published=date.fromisoformat(nvd[cve]["published"][:10]),
            kev_added=date.fromisoformat(kev[cve]["dateAdded"]) if cve in kev else None,
        )
        for cve in ids
    }


@pytest.fixture(scope="session")
def wr703n(shared_data: Path, wr703n_image: Path, wr703n_rootfs: RootFS) -> dict[str, Any]:
    sha = hashlib.sha256(wr703n_image.read_bytes()).hexdigest()
    return assessment(shared_data, wr703n_rootfs.root, "TP-Link", "TL-WR703N", sha, "wr703n.bin")


@pytest.fixture(scope="module")
def feeds(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return split_feeds(shared_data, tmp_path_factory.mktemp("feeds"))


@pytest.fixture
def world(tmp_path: Path, wr703n_rootfs: RootFS, feeds: tuple[Path, Path]) -> World:
    return World(tmp_path, wr703n_rootfs, feeds[0])
