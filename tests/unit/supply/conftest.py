"""The bundled OpenWrt 12.09 TL-WR703N image, scanned once per session by the verifier's own
measuring step; its unpacked tree stays for the session (hash comparisons read it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from assay.supply.inventory import Inventory
from assay.supply.target import measured

ROOT = Path(__file__).resolve().parents[3]
BUNDLED = ROOT / "data" / "firmware" / "openwrt-12.09-tl-wr703n-v1-squashfs-factory.bin.xz"


@pytest.fixture(scope="session")
def wr703n_inventory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inventory]:
    work = tmp_path_factory.mktemp("verify-work")
    with measured(BUNDLED, work) as inventory:
        yield inventory


@pytest.fixture(scope="session")
def wr703n_assessment_file(
    wr703n_inventory: Inventory, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The same inventory as an assessment.json (a target that needs no scan)."""
    path = tmp_path_factory.mktemp("assessment") / "assessment.json"
    path.write_text(json.dumps(wr703n_inventory.assessment))
    return path
