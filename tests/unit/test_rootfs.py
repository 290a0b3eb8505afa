"""RootFS: image paths, links that stay inside, globbing."""

from __future__ import annotations

import os
from pathlib import Path

from assay.extract.rootfs import RootFS


def test_links_resolve_inside_the_image(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_text("root:x:0:0::/root:/bin/ash\n")
    (tmp_path / "tmp").mkdir()
    os.symlink("/etc/passwd", tmp_path / "tmp" / "abs")
    os.symlink("../etc/passwd", tmp_path / "tmp" / "rel")
    os.symlink("/../../../../etc/hostname", tmp_path / "tmp" / "escape")
    os.symlink("loop", tmp_path / "tmp" / "loop")
    fs = RootFS(tmp_path)
    assert fs.read_text("/tmp/abs") == "root:x:0:0::/root:/bin/ash\n"
    assert fs.read_text("tmp/rel") == "root:x:0:0::/root:/bin/ash\n"
    # "/.." is "/" on the device, so this never reaches the host's /etc/hostname
    assert fs.read_bytes("/tmp/escape") is None
    assert fs.resolve("/tmp/loop") is None
    assert fs.readlink("/tmp/abs") == "/etc/passwd"


def test_glob_stays_within_segments(tmp_path: Path) -> None:
    for rel in ("usr/lib/opkg/info/a.control", "usr/lib/opkg/info/sub/b.control"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("Package: x\n")
    fs = RootFS(tmp_path)
    assert fs.glob("/usr/lib/opkg/info/*.control") == ["/usr/lib/opkg/info/a.control"]
    assert len(fs.glob("/usr/**/*.control")) == 2


def test_real_image_rootfs(wr703n_rootfs: RootFS) -> None:
    assert "OpenWrt" in (wr703n_rootfs.read_text("/etc/openwrt_release") or "")
    assert len(wr703n_rootfs.glob("/usr/lib/opkg/info/*.control")) == 80


def test_readlink_reaches_its_folder_inside_the_image(tmp_path: Path) -> None:
    host = tmp_path / "host"
    host.mkdir()
    os.symlink("/host-secret-target", host / "link")
    root = tmp_path / "root"
    (root / "usr" / "bin").mkdir(parents=True)
    os.symlink("busybox", root / "usr" / "bin" / "ls")
    os.symlink(str(host), root / "opt")  # a folder link leaving the tree
    fs = RootFS(root)
    assert fs.readlink("/usr/bin/ls") == "busybox"
    assert fs.readlink("/opt/link") is None  # never read through the host's folder
    assert fs.readlink("/opt") == str(host)  # the link itself is image data
    assert fs.readlink("/") is None


def test_a_double_slash_target_stays_in_the_image(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_text("image\n")
    os.symlink("//etc/passwd", tmp_path / "two")
    os.symlink("///etc//passwd", tmp_path / "three")
    fs = RootFS(tmp_path)
    assert fs.read_text("/two") == "image\n"
    assert fs.read_text("/three") == "image\n"
    assert fs.resolve("/two") == (tmp_path / "etc" / "passwd").resolve()
