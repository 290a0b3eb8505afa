"""Shared fixtures: the bundled real image, its unpacked root filesystem, shared data."""

from __future__ import annotations

import lzma
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from assay.extract.rootfs import RootFS

ROOT = Path(__file__).resolve().parent.parent
BUNDLED_IMAGE = ROOT / "data" / "firmware" / "openwrt-12.09-tl-wr703n-v1-squashfs-factory.bin.xz"
SHARED_DATA = ROOT.parent / "shared" / "data"
WR703N_SQUASHFS_OFFSET = 0xE9CAC


@pytest.fixture(scope="session", autouse=True)
def isolated_assay_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Tests never read or write the user's data directory: ASSAY_HOME is a fresh folder, so
    scans use the bundled vulnerability snapshot and an empty registry unless a test says."""
    home = tmp_path_factory.mktemp("assay-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASSAY_HOME", str(home))
        patch.delenv("ASSAY_REGISTRY_URL", raising=False)
        yield home


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (real public data); tests that need it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


@pytest.fixture(scope="session")
def wr703n_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled OpenWrt 12.09 TL-WR703N factory image, decompressed."""
    out = tmp_path_factory.mktemp("image") / "openwrt-12.09-tl-wr703n-v1-squashfs-factory.bin"
    with lzma.open(BUNDLED_IMAGE) as src, out.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return out


@pytest.fixture(scope="session")
def wr703n_rootfs(wr703n_image: Path, tmp_path_factory: pytest.TempPathFactory) -> RootFS:
    """Its root filesystem, unpacked with Debian's unsquashfs (independent of our extractor)."""
    dest = tmp_path_factory.mktemp("rootfs") / "squashfs-root"
    subprocess.run(
        [
            "unsquashfs",
            "-no-progress",
            "-no-exit-code",
            "-o",
            str(WR703N_SQUASHFS_OFFSET),
            "-d",
            str(dest),
            str(wr703n_image),
        ],
        check=True,
        capture_output=True,
    )
    return RootFS(dest)


@pytest.fixture(scope="session")
def wr703n_scan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``assay scan`` of the bundled image with its sample declaration, run once as a user
    runs it (a fresh process); the output folder (``assessment.json``, SBOM, report...)."""
    import sys

    out = tmp_path_factory.mktemp("wr703n-scan") / "out"
    declaration = ROOT / "data" / "declarations" / "openwrt-wr703n.sample.yaml"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "assay",
            "scan",
            str(BUNDLED_IMAGE),
            "--declaration",
            str(declaration),
            "--out",
            str(out),
            "--quiet",
        ],
        check=True,
        capture_output=True,
    )
    return out
