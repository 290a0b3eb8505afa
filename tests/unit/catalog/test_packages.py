"""Package-database catalogers and the merge rules, on small trees shaped like real ones."""

from __future__ import annotations

import hashlib
from pathlib import Path

from assay.catalog.control import parse_stanzas, upstream_version
from assay.catalog.engine import catalog, merge
from assay.catalog.packages import ApkDbCataloger, ControlDbCataloger, depends
from assay.extract.rootfs import RootFS
from assay.model.component import Component

DPKG_STATUS = """\
Package: busybox
Status: install ok installed
Priority: optional
Architecture: armhf
Source: busybox (1:1.35.0-4)
Version: 1:1.35.0-4+b3
Maintainer: Debian Install System Team <debian-boot@lists.debian.org>
Description: Tiny utilities for small and embedded systems
 BusyBox combines tiny versions of many common UNIX utilities.

Package: oldpkg
Status: deinstall ok config-files
Architecture: armhf
Version: 0.1-1

Package: openssl
Status: install ok installed
Architecture: armhf
Version: 3.0.11-1~deb12u2
"""

APK_INSTALLED = """\
C:Q1abc=
P:musl
V:1.2.4-r2
A:aarch64
L:MIT
o:musl
m:Natanael Copa <ncopa@alpinelinux.org>
T:the musl c library (libc) implementation
F:lib
R:ld-musl-aarch64.so.1
R:libc.musl-aarch64.so.1

P:zlib
V:1.3.1-r0
A:aarch64
F:lib
R:libz.so.1.3.1
"""


def test_control_parser_joins_continuations() -> None:
    stanzas = list(parse_stanzas(DPKG_STATUS))
    assert [s["Package"] for s in stanzas] == ["busybox", "oldpkg", "openssl"]
    assert stanzas[0]["Description"].count("\n") == 1


def test_upstream_version() -> None:
    assert upstream_version("1:1.35.0-4+b3") == "1.35.0"
    assert upstream_version("1.19.4-6") == "1.19.4"
    assert upstream_version("3.3.8-1-d6597ebf6203328d3519ea3c3371a493") == "3.3.8"
    assert upstream_version("2011.54") == "2011.54"
    assert upstream_version("1:1.2.8.dfsg-2+b1") == "1.2.8"
    assert upstream_version("2.0+dfsg1-3") == "2.0"


def _tree(tmp_path: Path, files: dict[str, str]) -> RootFS:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return RootFS(tmp_path)


def test_dpkg_status_installed_only_with_owned_files(tmp_path: Path) -> None:
    fs = _tree(
        tmp_path,
        {
            "etc/os-release": 'ID=debian\nVERSION_ID="12"\n',
            "var/lib/dpkg/status": DPKG_STATUS,
            "var/lib/dpkg/info/busybox.list": "/.\n/bin\n/bin/busybox\n",
            "var/lib/dpkg/info/openssl:armhf.list": "/usr/bin/openssl\n",
        },
    )
    comps, problems = catalog([fs], [ControlDbCataloger()])
    assert problems == []
    by_name = {c.name: c for c in comps}
    assert set(by_name) == {"busybox", "openssl"}
    assert by_name["busybox"].purl == (
        "pkg:deb/debian/busybox@1:1.35.0-4%2Bb3?arch=armhf&distro=debian-12"
    )
    assert by_name["busybox"].files == ("/.", "/bin", "/bin/busybox")
    assert by_name["busybox"].source_package == "busybox"
    assert by_name["busybox"].cpe.startswith("cpe:2.3:a:busybox:busybox:1.35.0:")
    assert by_name["openssl"].files == ("/usr/bin/openssl",)


def test_apk_installed(tmp_path: Path) -> None:
    fs = _tree(tmp_path, {"lib/apk/db/installed": APK_INSTALLED, "etc/os-release": "ID=alpine\n"})
    comps, _ = catalog([fs], [ApkDbCataloger()])
    assert [(c.name, c.version) for c in comps] == [("musl", "1.2.4-r2"), ("zlib", "1.3.1-r0")]
    assert comps[0].files == ("/lib/ld-musl-aarch64.so.1", "/lib/libc.musl-aarch64.so.1")
    assert comps[0].purl.startswith("pkg:apk/alpine/musl@1.2.4-r2")
    assert comps[1].cpe.startswith("cpe:2.3:a:zlib:zlib:1.3.1:")


def test_empty_or_broken_database_is_a_problem(tmp_path: Path) -> None:
    fs = _tree(tmp_path, {"usr/lib/opkg/status": "garbage without fields\n\n"})
    comps, problems = catalog([fs], [ControlDbCataloger()])
    assert comps == []
    assert [p.message for p in problems] == ["package database holds no package"]


def _pkg(name: str, version: str, files: tuple[str, ...], cpe: str = "") -> Component:
    return Component(
        name,
        version,
        purl=f"pkg:opkg/{name}@{version}",
        cpe=cpe,
        found_by=("opkg-db",),
        files=files,
        locations=("/usr/lib/opkg/status",),
    )


def _sig(name: str, version: str, path: str, cpe: str) -> Component:
    return Component(
        name,
        version,
        purl=f"pkg:generic/{name}@{version}",
        cpe=cpe,
        found_by=("binary-signature",),
        locations=(path,),
    )


def test_merge_rules() -> None:
    hostapd = "cpe:2.3:a:w1.fi:hostapd:2.0-devel:*:*:*:*:*:*:*"
    uclibc = "cpe:2.3:a:uclibc:uclibc:0.9.33.2:*:*:*:*:*:*:*"
    merged = merge(
        [
            _pkg("libc", "0.9.33.2-1", ("/lib/libuClibc-0.9.33.2.so",)),
            _pkg("wpad-mini", "20120910-1", ("/usr/sbin/wpad",)),
            _sig("uclibc", "0.9.33.2", "/lib/libuClibc-0.9.33.2.so", uclibc),
            _sig("hostapd", "2.0-devel", "/usr/sbin/wpad", hostapd),
            _sig("zlib", "1.2.8", "/usr/lib/libz.so", "cpe:2.3:a:zlib:zlib:1.2.8:*:*:*:*:*:*:*"),
            _sig("zlib", "1.2.8", "/lib/libz.so.1", "cpe:2.3:a:zlib:zlib:1.2.8:*:*:*:*:*:*:*"),
        ]
    )
    by_name = {c.name: c for c in merged}
    assert set(by_name) == {"libc", "wpad-mini", "hostapd", "zlib"}
    # rule 2: same upstream version -> one component, with the binary's CPE
    assert by_name["libc"].cpe == uclibc
    assert by_name["libc"].found_by == ("binary-signature", "opkg-db")
    # rule 2: different product in a package -> its own component, linked
    assert dict(by_name["hostapd"].properties)["package"] == "wpad-mini"
    assert by_name["wpad-mini"].cpe == ""
    # rule 3: the same product and version in two files -> one component, two locations
    assert by_name["zlib"].locations == ("/lib/libz.so.1", "/usr/lib/libz.so")


def test_depends_names_without_versions_alternatives_or_arch() -> None:
    assert depends("libc, kernel (= 3.3.8-1-d6597ebf), libnl-tiny") == (
        "kernel",
        "libc",
        "libnl-tiny",
    )
    assert depends("libc6 (>= 2.34), debconf (>= 0.5) | debconf-2.0, python3:any") == (
        "debconf",
        "libc6",
        "python3",
    )
    assert depends(",") == ()


def test_dpkg_and_apk_dependencies_and_digests(tmp_path: Path) -> None:
    status = DPKG_STATUS.replace(
        "Version: 1:1.35.0-4+b3\n", "Version: 1:1.35.0-4+b3\nDepends: libc6 (>= 2.34)\n"
    )
    apk = APK_INSTALLED.replace("P:zlib\n", "P:zlib\nD:musl>=1.2 so:libc.musl-aarch64.so.1\n")
    fs = _tree(
        tmp_path,
        {
            "etc/os-release": 'ID=debian\nVERSION_ID="12"\n',
            "var/lib/dpkg/status": status,
            "var/lib/dpkg/info/busybox.list": "/.\n/bin\n/bin/busybox\n/bin/sh\n",
            "bin/busybox": "a busybox binary\n",
            "lib/apk/db/installed": apk,
            "lib/libz.so.1.3.1": "zlib\n",
        },
    )
    (tmp_path / "bin/sh").symlink_to("busybox")
    comps, _ = catalog([fs], [ControlDbCataloger(), ApkDbCataloger()])
    by_name = {c.name: c for c in comps}
    assert by_name["busybox"].depends == ("libc6",)
    assert by_name["zlib"].depends == ("musl",)  # so: needs name no package
    # a package: the manifest of its regular files (the folders and the link left out)
    line = f"{hashlib.sha256(b'a busybox binary' + bytes([10])).hexdigest()}  /bin/busybox\n"
    assert by_name["busybox"].sha256 == hashlib.sha256(line.encode()).hexdigest()
    assert ("sha256_of", "manifest of 1 files (sha256sum lines, by path)") in (
        by_name["busybox"].properties
    )
    # a file a database lists but the image lacks: no digest for what is not there
    assert by_name["musl"].sha256 == ""
    assert by_name["openssl"].sha256 == ""
