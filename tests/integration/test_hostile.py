"""Hostile and broken input: one-line errors or partial results, nothing written outside."""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import tarfile
import uuid
from pathlib import Path
from typing import Any

import pytest

from assay.cli import main


def _scan(capsys: pytest.CaptureFixture[str], target: Path, base: Path, *extra: str) -> int:
    return main(
        [
            "scan",
            str(target),
            "--out",
            str(base / "out"),
            "--work-dir",
            str(base / "work"),
            "--keep-work",
            "-q",
            *extra,
        ]
    )


def _doc(base: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((base / "out" / "assessment.json").read_text())
    return data


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("assay: error: ")
    assert "\n" not in err
    assert "Traceback" not in err
    return err


def _only_expected_entries(base: Path, *names: str) -> None:
    assert {p.name for p in base.iterdir()} <= {"out", "work", *names}


def test_empty_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty.bin").write_bytes(b"")
    assert _scan(capsys, tmp_path / "empty.bin", tmp_path) == 3
    assert "empty" in _one_line_error(capsys)


def test_random_bytes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "random.bin").write_bytes(random.Random(7).randbytes(256 * 1024))
    assert _scan(capsys, tmp_path / "random.bin", tmp_path) == 3
    assert "no known format" in _one_line_error(capsys)
    _only_expected_entries(tmp_path, "random.bin")


def test_missing_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _scan(capsys, tmp_path / "nope.bin", tmp_path) == 3
    assert "no such file" in _one_line_error(capsys)


def test_truncated_image_gives_a_partial_result(
    wr703n_image: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the kernel (0x200-0xe9caa) is whole; the SquashFS after it is cut short
    cut = tmp_path / "truncated.bin"
    cut.write_bytes(wr703n_image.read_bytes()[:1_500_000])
    assert _scan(capsys, cut, tmp_path, "--no-vulns") == 0
    doc = _doc(tmp_path)
    assert [c["name"] for c in doc["components"]] == ["linux-kernel"]
    assert any("no root filesystem" in p["message"] for p in doc["problems"])
    assert doc["identity"]["model"] == "TL-WR703N"


def _hostile_tar(path: Path, escape_abs: Path) -> None:
    with tarfile.open(path, "w") as tar:

        def add(name: str, data: bytes = b"x", **kw: Any) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            for key, value in kw.items():
                setattr(info, key, value)
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)

        add("etc/openwrt_release", b'DISTRIB_ID="OpenWrt"\nDISTRIB_RELEASE="12.09"\n')
        add("bin/.keep")
        add("usr/lib/opkg/status", b"Package: evil\nVersion: 1.0-1\nStatus: install ok installed\n")
        add("../escape-relative", b"owned")
        add(str(escape_abs), b"owned")  # absolute name: made relative, never written there
        add("outside", type=tarfile.SYMTYPE, linkname=str(escape_abs.parent))
        add("outside/through-link", b"owned")
        add("dev/sda", type=tarfile.BLKTYPE, devmajor=8, devminor=0)
        add("dev/fifo", type=tarfile.FIFOTYPE)
        add("etc/hard", type=tarfile.LNKTYPE, linkname="../../etc/passwd")


def test_tar_with_traversal_links_and_devices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    escape_abs = Path("/tmp") / f"assay-escape-{uuid.uuid4().hex}" / "abs"
    archive = tmp_path / "rootfs.tar"
    _hostile_tar(archive, escape_abs)
    assert _scan(capsys, archive, tmp_path, "--no-vulns") == 0
    doc = _doc(tmp_path)
    messages = " | ".join(p["message"] for p in doc["problems"])
    assert "'..'" in messages
    assert "absolute member name" in messages
    assert "written through a symbolic link" in messages
    assert "device file or FIFO" in messages
    assert [c["name"] for c in doc["components"] if "opkg-db" in c["found_by"]] == ["evil"]
    assert not escape_abs.exists() and not escape_abs.parent.exists()
    assert not (tmp_path.parent / "escape-relative").exists()
    assert not (escape_abs.parent / "through-link").exists()
    _only_expected_entries(tmp_path, "rootfs.tar")


def test_directory_with_symlinks_pointing_outside(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a real-looking package database lives outside the tree; the tree links to it
    outside = tmp_path / "host"
    (outside / "usr/lib/opkg").mkdir(parents=True)
    (outside / "usr/lib/opkg/status").write_text(
        "Package: host-only\nVersion: 9.9\nStatus: install ok installed\n"
    )
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "bin").mkdir()
    (root / "usr/lib").mkdir(parents=True)
    os.symlink(str(outside / "usr/lib/opkg"), root / "usr/lib/opkg")
    os.symlink("../../../../../../../../etc/passwd", root / "etc/passwd")
    out = tmp_path / "o"
    assert main(["scan", str(root), "--out", str(out), "-q", "--no-vulns"]) == 0
    doc = json.loads((out / "assessment.json").read_text())
    assert doc["components"] == []  # the host's database was not read through the link
    passwd_findings = [
        e for f in doc["findings"] for e in f["evidence"] if e["path"] == "/etc/passwd"
    ]
    assert all("root:x:0:0" not in e["excerpt"] for e in passwd_findings)


def test_decompression_bomb_is_bounded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bomb = tmp_path / "bomb.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as fh:
        block = bytes(1 << 20)
        for _ in range(200):  # 200 MiB of zeros in about 200 KiB
            fh.write(block)
    assert bomb.stat().st_size < 1_000_000
    assert _scan(capsys, bomb, tmp_path, "--max-size", "20M", "--no-vulns") == 0
    doc = _doc(tmp_path)
    assert any("size bound" in p["message"] for p in doc["problems"])
    written = sum(f.stat().st_size for f in (tmp_path / "work").rglob("*") if f.is_file())
    assert written <= 21 * 1024 * 1024


def test_deep_nesting_is_bounded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = b"the innermost payload"
    for _ in range(12):
        data = gzip.compress(data)
    nested = tmp_path / "nested.gz"
    nested.write_bytes(data)
    assert _scan(capsys, nested, tmp_path, "--max-depth", "3", "--no-vulns") == 0
    doc = _doc(tmp_path)
    assert any("nesting bound was reached" in p["message"] for p in doc["problems"])
    depth = max(str(p).count("_extract") for p in (tmp_path / "work").rglob("*"))
    assert depth <= 3


def test_time_bound(wr703n_image: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _scan(capsys, wr703n_image, tmp_path, "--timeout", "0.05", "--no-vulns") in (0, 3, 4)
    err = capsys.readouterr().err
    if (tmp_path / "out" / "assessment.json").exists():
        doc = _doc(tmp_path)
        assert any("time limit" in p["message"] for p in doc["problems"])
    else:
        assert "time limit" in err


def test_bad_option_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x.bin").write_bytes(b"x" * 100)
    assert _scan(capsys, tmp_path / "x.bin", tmp_path, "--max-size", "lots") == 2
    assert "--max-size" in _one_line_error(capsys)
