"""``formats.write_all``: what ``assay scan`` writes, with the garbage collector paused."""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assay.model.assessment import Assessment
from assay.pipeline import ScanOptions, assess
from assay.present import formats


def _tree(root: Path) -> Path:
    (root / "etc").mkdir(parents=True)
    (root / "usr/lib/opkg/info").mkdir(parents=True)
    (root / "etc/openwrt_release").write_text('DISTRIB_ID="OpenWrt"\nDISTRIB_RELEASE="19.07"\n')
    (root / "etc/shadow").write_text("root::18000:0:99999:7:::\n")
    (root / "usr/lib/opkg/info/zlib.control").write_text(
        "Package: zlib\nVersion: 1.2.11-3\nArchitecture: mips_24kc\n"
    )
    return root


@pytest.fixture(scope="module")
def assessment(tmp_path_factory: pytest.TempPathFactory) -> Assessment:
    tmp = tmp_path_factory.mktemp("write-all")
    options = ScanOptions(work_dir=tmp / "work", match_vulnerabilities=False)
    return assess(_tree(tmp / "root"), options).assessment


@pytest.fixture
def collections() -> Iterator[list[str]]:
    """The collections the collector makes while an output is being written (``write_set``
    or ``write`` of ``present.formats`` on the stack), with a threshold that makes one at
    almost each new container."""
    seen: list[str] = []

    def record(phase: str, info: dict[str, Any]) -> None:
        frame = sys._getframe(1)
        while frame is not None:
            code = frame.f_code
            if code.co_name in ("write_set", "write") and code.co_filename == formats.__file__:
                if phase == "start":
                    seen.append(code.co_name)
                return
            frame = frame.f_back  # type: ignore[assignment]

    threshold = gc.get_threshold()
    gc.set_threshold(1, 1, 1)
    gc.callbacks.append(record)
    try:
        yield seen
    finally:
        gc.callbacks.remove(record)
        gc.set_threshold(*threshold)


def test_write_all_writes_the_set_and_each_output_with_a_file(
    assessment: Assessment, tmp_path: Path
) -> None:
    outputs = [formats.parse(f"sarif={tmp_path}/x.sarif"), formats.parse("table")]
    paths = formats.write_all(assessment, tmp_path / "out", outputs)
    assert [p.name for p in paths] == [
        "sbom.cdx.json",
        "assessment.json",
        "report.html",
        "report.md",
        "label.svg",
        "label.png",
        "label.json",
        "x.sarif",
    ]
    assert json.loads((tmp_path / "x.sarif").read_text())["version"] == "2.1.0"
    assert formats.write_all(assessment, None, outputs[:1]) == [tmp_path / "x.sarif"]


def test_no_collection_while_writing_and_the_collector_back_after(
    assessment: Assessment, tmp_path: Path, collections: list[str]
) -> None:
    assert gc.isenabled()
    formats.write_set(assessment, tmp_path / "running")  # the control: it does collect
    assert "write_set" in collections
    collections.clear()
    formats.write_all(assessment, tmp_path / "paused", [formats.parse(f"json={tmp_path}/a.json")])
    assert collections == []
    assert gc.isenabled()
    formats.write(formats.parse(f"json={tmp_path}/b.json"), assessment)
    assert collections == ["write"] * len(collections) and collections


def test_a_collector_the_caller_disabled_stays_disabled(
    assessment: Assessment, tmp_path: Path
) -> None:
    gc.disable()
    try:
        formats.write_all(assessment, tmp_path / "out")
        assert not gc.isenabled()
    finally:
        gc.enable()
