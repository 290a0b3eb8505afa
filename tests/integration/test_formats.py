"""SquashFS through Debian's unsquashfs, and the vendor-format samples in shared data."""

from __future__ import annotations

import json
import lzma
import shutil
import subprocess
from pathlib import Path

import pytest

from assay.cli import main


def _tree(root: Path) -> Path:
    (root / "etc").mkdir(parents=True)
    (root / "bin").mkdir()
    (root / "usr/lib/opkg/info").mkdir(parents=True)
    (root / "etc/openwrt_release").write_text('DISTRIB_ID="OpenWrt"\nDISTRIB_RELEASE="19.07"\n')
    (root / "usr/lib/opkg/info/zlib.control").write_text(
        "Package: zlib\nVersion: 1.2.11-3\nArchitecture: mips_24kc\n"
    )
    (root / "usr/lib/opkg/info/zlib.list").write_text("/usr/lib/libz.so.1.2.11\n")
    return root


@pytest.mark.parametrize("compressor", ["gzip", "xz", "lzo", "lz4", "zstd"])
def test_standard_squashfs_v4_each_compressor(
    compressor: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if shutil.which("mksquashfs") is None:
        pytest.skip("mksquashfs (squashfs-tools) is not installed")
    image = tmp_path / f"rootfs-{compressor}.squashfs"
    subprocess.run(
        [
            "mksquashfs",
            str(_tree(tmp_path / "src")),
            str(image),
            "-comp",
            compressor,
            "-noappend",
            "-quiet",
            "-no-progress",
        ],
        check=True,
        capture_output=True,
    )
    # pad it behind a vendor-like header, as real images do
    blob = tmp_path / "firmware.bin"
    blob.write_bytes(b"VENDOR\0\0" * 64 + image.read_bytes() + b"\xff" * 4096)
    out = tmp_path / "out"
    assert main(["scan", str(blob), "--out", str(out), "-q", "--no-vulns", "--no-checks"]) == 0
    doc = json.loads((out / "assessment.json").read_text())
    comps = {c["name"]: c for c in doc["components"]}
    assert [(c["name"], c["version"]) for c in doc["components"]] == [
        ("zlib", "1.2.11-3"),
        ("openwrt", "19.07"),
    ]
    assert comps["zlib"]["cpe"].startswith("cpe:2.3:a:zlib:zlib:1.2.11:")
    assert doc["identity"]["os_version"] == "19.07"


def test_legacy_lzma_squashfs_is_reported_unsupported(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = tmp_path / "firmware.squashfs"
    image.write_bytes(
        lzma.decompress(
            (shared_data / "firmware/binwalk-test-inputs/firmware.squashfs.xz").read_bytes()
        )
    )
    assert main(["scan", str(image), "--out", str(tmp_path / "o"), "-q"]) == 3
    err = capsys.readouterr().err.strip()
    assert "unsupported SquashFS variant" in err and "\n" not in err


def test_tplink_container_with_test_rootfs(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = tmp_path / "test.tpl"
    image.write_bytes(
        lzma.decompress(
            (shared_data / "firmware/fact-extractor-test-data/test.tpl.xz").read_bytes()
        )
    )
    out = tmp_path / "o"
    assert main(["scan", str(image), "--out", str(out), "-q", "--no-vulns"]) == 0
    doc = json.loads((out / "assessment.json").read_text())
    assert doc["identity"]["model"] == "TL-MR3020"
    kernels = [c for c in doc["components"] if c["name"] == "linux-kernel"]
    assert [k["version"] for k in kernels] == ["2.6.31"]
    assert any("no root filesystem" in p["message"] for p in doc["problems"])


def test_mr3020_image(shared_data: Path, tmp_path: Path) -> None:
    image = tmp_path / "mr3020.bin"
    image.write_bytes(
        lzma.decompress(
            (
                shared_data / "firmware/openwrt-12.09-tplink/"
                "openwrt-ar71xx-generic-tl-mr3020-v1-squashfs-factory.bin.xz"
            ).read_bytes()
        )
    )
    out = tmp_path / "o"
    assert main(["scan", str(image), "--out", str(out), "-q", "--no-vulns", "--no-checks"]) == 0
    doc = json.loads((out / "assessment.json").read_text())
    assert doc["identity"]["model"] == "TL-MR3020"
    assert sum("opkg-db" in c["found_by"] for c in doc["components"]) == 80


def test_compressed_image_as_handed_in(tmp_path: Path) -> None:
    # the bundled file is the factory image under xz: the TP-Link header is one layer down
    bundled = Path(__file__).resolve().parents[2] / "data/firmware"
    image = next(bundled.glob("*.bin.xz"))
    out = tmp_path / "o"
    assert main(["scan", str(image), "--out", str(out), "-q", "--no-vulns", "--no-checks"]) == 0
    doc = json.loads((out / "assessment.json").read_text())
    assert (doc["identity"]["vendor"], doc["identity"]["model"]) == ("TP-Link", "TL-WR703N")
    assert sum("opkg-db" in c["found_by"] for c in doc["components"]) == 80
