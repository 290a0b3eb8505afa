"""ELF hardening (on real Debian and OpenWrt binaries) and file-system checks."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest
from checks_helpers import Tree, paths, run

from assay.checks.context import ImageView
from assay.checks.hardening import elf_facts
from assay.extract.rootfs import RootFS
from assay.model.check import Verdict

HOST_BASH = Path("/bin/bash")  # Debian 12 builds it with every mitigation (checked by readelf)


@pytest.mark.skipif(not HOST_BASH.is_file(), reason="needs the host's /bin/bash")
def test_debian_bash_has_every_mitigation(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    shutil.copy(HOST_BASH, tmp_path / "bin" / "bash")
    facts = elf_facts(ImageView(RootFS(tmp_path)))
    assert len(facts) == 1
    bash = facts[0]
    assert (bash.executable, bash.nx, bash.pie, bash.relro, bash.canary, bash.fortify) == (
        True,
        True,
        True,
        "full",
        True,
        True,
    )
    f = run("hardening.elf", RootFS(tmp_path))
    assert f.verdict == Verdict.PASS
    assert f.summary.startswith("1 ELF files (1 programs, 0 libraries): NX 1/1, PIE 1/1")


def test_openwrt_busybox_has_none(wr703n_rootfs: RootFS, tmp_path: Path) -> None:
    """The section-stripped MIPS BusyBox of OpenWrt 12.09 (read through its dynamic segment)."""
    (tmp_path / "bin").mkdir()
    shutil.copy(wr703n_rootfs.root / "bin" / "busybox", tmp_path / "bin" / "busybox")
    f = run("hardening.elf", RootFS(tmp_path))
    assert f.verdict == Verdict.FAIL
    assert f.evidence[0].note == "missing: NX, PIE, RELRO, canary, FORTIFY"


def test_no_elf_is_not_applicable(tree: Tree) -> None:
    r = tree({"/bin/script": "#!/bin/sh\n", "/lib/fake.so": b"\x7fELF broken"})
    assert run("hardening.elf", r).verdict == Verdict.NOT_APPLICABLE


def test_world_writable(tree: Tree) -> None:
    r = tree(
        {
            "/etc/config/network": ("config x\n", 0o666),
            "/var/spool/": ("", 0o777),
            "/tmp/": ("", 0o1777),
            "/etc/passwd": ("root:x:0:0::/:/bin/sh\n", 0o644),
        }
    )
    f = run("files.world-writable", r)
    assert f.verdict == Verdict.FAIL
    assert paths(f) == {"/etc/config/network", "/var/spool"}
    ok = tree({"/tmp/": ("", 0o1777), "/etc/passwd": ("x\n", 0o644)})
    assert run("files.world-writable", ok).verdict == Verdict.PASS


def test_setuid(tree: Tree) -> None:
    r = tree({"/bin/busybox": (b"\x7fELF", 0o4755), "/bin/ls": (b"\x7fELF", 0o755)})
    f = run("files.setuid", r)
    assert f.verdict == Verdict.FAIL
    assert paths(f) == {"/bin/busybox"}
    assert f.evidence[0].excerpt == stat.filemode(0o104755)
    assert run("files.setuid", tree({"/bin/ls": (b"\x7fELF", 0o755)})).verdict == Verdict.PASS


def test_debug_tools_real_and_busybox_applets(tree: Tree) -> None:
    r = tree(
        {
            "/bin/busybox": b"\x7fELF",
            "/usr/sbin/telnetd": "->../../bin/busybox",
            "/usr/bin/tftp": "->../../bin/busybox",
            "/usr/bin/gdbserver": b"\x7fELF",
            "/usr/bin/ls": "->../../bin/busybox",
        }
    )
    f = run("files.debug-tools", r)
    assert f.verdict == Verdict.FAIL
    notes = {e.path: e.note for e in f.evidence}
    assert set(notes) == {"/usr/sbin/telnetd", "/usr/bin/tftp", "/usr/bin/gdbserver"}
    assert notes["/usr/sbin/telnetd"].endswith("(BusyBox applet)")
    assert "BusyBox" not in notes["/usr/bin/gdbserver"]
    clean = tree({"/bin/busybox": b"\x7fELF", "/bin/ls": "->busybox"})
    assert run("files.debug-tools", clean).verdict == Verdict.PASS


def test_busybox_applets_without_links(tree: Tree) -> None:
    table = b"\0".join([b"[", b"[[", b"ash", b"cat", b"nc", b"telnetd", b"tftp", b"vi"])
    busybox = b"\x7fELF" + b"\x01" * 64 + b"\0" + table + b"\0\x00\xff\x13"
    r = tree({"/bin/busybox": busybox, "/usr/sbin/telnetd": "->../../bin/busybox"})
    f = run("files.debug-tools", r)
    assert f.verdict == Verdict.FAIL
    assert [(e.path, e.excerpt) for e in f.evidence] == [
        ("/usr/sbin/telnetd", "-> ../../bin/busybox"),
        ("/bin/busybox", "applets: nc, tftp"),
    ]


def test_real_busybox_applet_table(wr703n_rootfs: RootFS) -> None:
    from assay.checks.files import busybox_applets

    applets = busybox_applets(ImageView(wr703n_rootfs), "/bin/busybox")
    assert len(applets) == 123  # BusyBox 1.19.4 of OpenWrt 12.09
    assert {"telnetd", "nc", "ash", "wget"} <= set(applets)
    assert "tftp" not in applets
