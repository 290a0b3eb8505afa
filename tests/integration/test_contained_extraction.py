"""Contained extraction on the command line: nothing is written through a link, nothing
outside the tree is read or linked, directory targets are read inside the tree only, and the
archive's modes reach the checks. Every case aims at a canary outside the work directory."""

from __future__ import annotations

import json
import os
import stat
import tarfile
from pathlib import Path
from typing import Any

import pytest

from assay.cli import main
from hostile_archives import (
    OWNED,
    SECRET,
    assert_untouched,
    hard_link_read,
    hard_link_write,
    make_canary,
    symlink_then_file,
    tar_bytes,
)


def scan(target: Path, base: Path, *extra: str) -> dict[str, Any]:
    code = main(
        [
            "scan",
            str(target),
            "--out",
            str(base / "out"),
            "--work-dir",
            str(base / "work"),
            "--keep-work",
            "-q",
            "--no-vulns",
            *extra,
        ]
    )
    assert code == 0
    doc: dict[str, Any] = json.loads((base / "out" / "assessment.json").read_text())
    return doc


def everything_written(base: Path) -> str:
    """Every output and every unpacked file, as one text."""
    files = [p for p in sorted(base.rglob("*")) if p.is_file() and not p.is_symlink()]
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in files)


def messages(doc: dict[str, Any]) -> str:
    return " | ".join(p["message"] for p in doc["problems"])


def test_no_write_through_a_link_final_component_included(tmp_path: Path) -> None:
    canary = make_canary(tmp_path / "host")
    archive = tmp_path / "scan" / "rootfs.tar"
    archive.parent.mkdir()
    archive.write_bytes(symlink_then_file(canary))
    doc = scan(archive, tmp_path / "scan")
    assert_untouched(canary)
    tree = tmp_path / "scan" / "work" / "extracted" / "archive"
    for name in ("x", "y"):  # the later member replaced the link, as tar does
        assert not (tree / name).is_symlink()
        assert (tree / name).read_bytes() == OWNED
    assert (tree / "d").is_symlink()  # kept as data about the image, never written through
    assert "written through a symbolic link" in messages(doc)
    assert [c["name"] for c in doc["components"] if "opkg-db" in c["found_by"]] == ["evil"]


def test_hard_links_never_write_to_a_host_file(tmp_path: Path) -> None:
    canary = make_canary(tmp_path / "host")
    archive = tmp_path / "scan" / "rootfs.tar"
    archive.parent.mkdir()
    archive.write_bytes(hard_link_write(canary))
    doc = scan(archive, tmp_path / "scan")
    assert_untouched(canary)
    tree = tmp_path / "scan" / "work" / "extracted" / "archive"
    assert (tree / "h").read_bytes() == OWNED
    assert os.stat(tree / "h").st_nlink == 1
    assert "hard link to a file not unpacked from this archive" in messages(doc)


def test_hard_links_never_read_a_host_file(tmp_path: Path) -> None:
    canary = make_canary(tmp_path / "host")
    archive = tmp_path / "scan" / "rootfs.tar.gz"
    archive.parent.mkdir()
    archive.write_bytes(hard_link_read(canary))
    doc = scan(archive, tmp_path / "scan")
    assert_untouched(canary)
    assert SECRET not in everything_written(tmp_path / "scan")
    tree = tmp_path / "scan" / "work" / "extracted" / "archive"
    assert not (tree / "etc" / "passwd").exists()
    # a hard link to a file of the archive itself is a copy of it
    assert (tree / "etc" / "banner").read_bytes() == (tree / "etc" / "openwrt_release").read_bytes()
    assert os.stat(tree / "etc" / "banner").st_nlink == 1
    assert "hard link to a file not unpacked" in messages(doc)


def test_a_directory_target_is_read_inside_the_tree(tmp_path: Path) -> None:
    host = tmp_path / "host"
    host.mkdir()
    kernel = b"\0" * 2048 + b"Linux version 9.9.9-host (root@host) #1\0" + b"\0" * 2048
    (host / "vmlinux").write_bytes(kernel)
    (host / "passwd").write_text(f"root::0:0:{SECRET}:/root:/bin/sh\n")
    root = tmp_path / "rootfs"
    for folder in ("etc", "bin", "usr/lib"):
        (root / folder).mkdir(parents=True)
    os.symlink(str(host), root / "boot")
    os.symlink("../" * 30 + str(host / "passwd").lstrip("/"), root / "etc" / "passwd")
    before = sorted((p.name, p.stat().st_mtime_ns) for p in host.iterdir())
    out = tmp_path / "out"
    assert main(["scan", str(root), "--out", str(out), "-q", "--no-vulns"]) == 0
    doc = json.loads((out / "assessment.json").read_text())
    assert doc["facts"]["kernels"] == []
    assert all("9.9.9" not in json.dumps(c) for c in doc["components"])
    assert SECRET not in everything_written(out)
    assert "would lead out of the directory" in messages(doc)
    assert "/boot" in messages(doc)
    assert sorted((p.name, p.stat().st_mtime_ns) for p in host.iterdir()) == before


def test_archive_modes_reach_the_checks(tmp_path: Path) -> None:
    canary = make_canary(tmp_path / "host")
    archive = tmp_path / "scan" / "rootfs.tar"
    archive.parent.mkdir()
    archive.write_bytes(
        tar_bytes(
            [
                ("usr/bin/su", {"mode": 0o4755, "uid": 0, "gid": 0}, b"\x7fELF su"),
                ("usr/bin/newgrp", {"mode": 0o2755, "uid": 0, "gid": 50}, b"\x7fELF newgrp"),
                ("etc/writable.conf", {"mode": 0o666}, b"x=1\n"),
                ("tmp", {"type": tarfile.DIRTYPE, "mode": 0o1777}, b""),
                ("var/spool", {"type": tarfile.DIRTYPE, "mode": 0o777}, b""),
            ]
        )
    )
    doc = scan(archive, tmp_path / "scan")
    assert_untouched(canary)
    findings = {f["check"]: f for f in doc["findings"]}
    setuid = findings["files.setuid"]
    assert setuid["verdict"] == "FAIL"
    assert {e["path"] for e in setuid["evidence"]} == {"/usr/bin/su", "/usr/bin/newgrp"}
    assert any("setuid root" in e["note"] for e in setuid["evidence"])
    writable = findings["files.world-writable"]
    assert writable["verdict"] == "FAIL"
    assert {e["path"] for e in writable["evidence"]} == {"/etc/writable.conf", "/var/spool"}
    # on disk the work directory holds no setuid or world-writable file
    tree = tmp_path / "scan" / "work" / "extracted" / "archive"
    for path in tree.rglob("*"):
        mode = path.lstat().st_mode
        if not stat.S_ISLNK(mode):
            assert not mode & (stat.S_ISUID | stat.S_ISGID | stat.S_IWOTH), path


@pytest.mark.parametrize("mode", ["w:gz", "w:bz2", "w:xz"])
def test_compressed_archives_are_contained_too(tmp_path: Path, mode: str) -> None:
    canary = make_canary(tmp_path / "host")
    archive = tmp_path / "scan" / "rootfs.tar.x"
    archive.parent.mkdir()
    archive.write_bytes(
        tar_bytes(
            [
                ("x", {"type": tarfile.SYMTYPE, "linkname": str(canary)}, b""),
                ("x", {}, OWNED),
            ],
            mode=mode,
        )
    )
    doc = scan(archive, tmp_path / "scan")
    assert doc["target"]["kind"] == "archive"
    assert_untouched(canary)


def newc(entries: list[tuple[str, int, bytes]]) -> bytes:
    """A cpio archive (newc format) of (name, mode, data); written by hand."""
    out = b""
    for ino, (name, mode, data) in enumerate([*entries, ("TRAILER!!!", 0, b"")], 1):
        raw = name.encode() + b"\0"
        fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(raw), 0]
        header = b"070701" + b"".join(b"%08X" % f for f in fields)
        out += header + raw + b"\0" * (-(len(header) + len(raw)) % 4)
        out += data + b"\0" * (-len(data) % 4)
    return out + b"\0" * (-len(out) % 512)


def test_modes_an_extractor_drops_make_the_mode_checks_inconclusive(tmp_path: Path) -> None:
    """unblob's cpio extractor does not keep modes: no PASS on what was not seen."""
    directory, regular = 0o040755, 0o100644
    image = tmp_path / "initramfs.cpio"
    image.write_bytes(
        newc(
            [
                ("etc", directory, b""),
                ("etc/openwrt_release", regular, b'DISTRIB_ID="OpenWrt"\n'),
                ("bin", directory, b""),
                ("bin/busybox", regular, b"\x7fELF"),
                ("usr", directory, b""),
                ("usr/bin", directory, b""),
                ("usr/bin/su", 0o104755, b"\x7fELF su"),
            ]
        )
    )
    doc = scan(image, tmp_path)
    findings = {f["check"]: f for f in doc["findings"]}
    assert doc["facts"]["rootfs"], doc["problems"]
    for check in ("files.setuid", "files.world-writable"):
        assert findings[check]["verdict"] == "INCONCLUSIVE", findings[check]
        assert "modes" in findings[check]["summary"]


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="no /dev/shm on this machine")
def test_default_work_dir_in_ram_is_contained_and_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --work-dir the scan unpacks under /dev/shm (assay.extract.scratch): the sandbox
    holds there as well, and the folder is gone afterwards."""
    monkeypatch.delenv("TMPDIR", raising=False)
    canary = make_canary(tmp_path / "host")
    archive = tmp_path / "rootfs.tar"
    archive.write_bytes(symlink_then_file(canary))
    before = set(Path("/dev/shm").glob("assay-*"))
    code = main(["scan", str(archive), "--out", str(tmp_path / "out"), "-q", "--no-vulns"])
    assert code == 0
    assert_untouched(canary)
    doc = json.loads((tmp_path / "out" / "assessment.json").read_text())
    assert "written through a symbolic link" in messages(doc)
    assert set(Path("/dev/shm").glob("assay-*")) == before
