"""The binary-signature cataloger on the real OpenWrt 12.09 TL-WR703N image."""

from __future__ import annotations

import lzma
import subprocess
import time
from pathlib import Path

import pytest

from assay.catalog.binary import BinaryCataloger
from assay.catalog.interface import Cataloger
from assay.extract.rootfs import RootFS
from assay.model.component import Component

KERNEL_OFFSET = 0x200  # TP-Link v1 header, then the raw LZMA ("alone" format) kernel

# every component the signatures find in the WR703N rootfs: (name, version, location)
EXPECTED = {
    ("busybox", "1.19.4", "/bin/busybox"),
    ("dnsmasq", "2.62", "/usr/sbin/dnsmasq"),
    ("dropbear", "2011.54", "/usr/sbin/dropbear"),
    ("uclibc", "0.9.33.2", "/lib/libuClibc-0.9.33.2.so"),
    ("uclibc", "0.9.33.2", "/lib/ld-uClibc-0.9.33.2.so"),
    ("iptables", "1.4.10", "/usr/sbin/iptables"),
    # wpad 20120910 is one hostapd/wpa_supplicant binary; it says "v2.0-devel" for both
    ("hostapd", "2.0-devel", "/usr/sbin/wpad"),
    ("wpa_supplicant", "2.0-devel", "/usr/sbin/wpad"),
    ("ppp", "2.4.5", "/usr/sbin/pppd"),
    ("lua", "5.1.4", "/usr/bin/lua"),
    ("lua", "5.1.4", "/usr/lib/liblua.so.5.1.4"),
}


@pytest.fixture(scope="module")
def cataloger() -> BinaryCataloger:
    return BinaryCataloger()


def catalog(cataloger: BinaryCataloger, rootfs: RootFS) -> list[Component]:
    found: list[Component] = []
    for entry in rootfs.walk():
        if cataloger.wants(entry):
            result = cataloger.parse(rootfs, entry)
            assert result.problems == []
            found.extend(result.components)
    return found


def test_conforms_to_the_cataloger_interface(cataloger: BinaryCataloger) -> None:
    as_protocol: Cataloger = cataloger
    assert as_protocol.name == "binary-signature"


def test_wr703n_components_exactly(cataloger: BinaryCataloger, wr703n_rootfs: RootFS) -> None:
    found = catalog(cataloger, wr703n_rootfs)
    assert {(c.name, c.version, c.locations[0]) for c in found} == EXPECTED
    assert len(found) == len(EXPECTED)


def test_component_carries_purl_cpe_and_evidence(
    cataloger: BinaryCataloger, wr703n_rootfs: RootFS
) -> None:
    by_name = {c.name: c for c in catalog(cataloger, wr703n_rootfs)}
    dropbear = by_name["dropbear"]
    assert dropbear.found_by == ("binary-signature",)
    assert dropbear.locations == ("/usr/sbin/dropbear",)
    assert dropbear.purl == "pkg:generic/dropbear@2011.54"
    assert dropbear.cpe == "cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2011.54:*:*:*:*:*:*:*"
    props = dict(dropbear.properties)
    assert props["signature"] == "dropbear"
    assert props["evidence"] == "SSH-2.0-dropbear_2011.54"
    assert int(props["evidence.offset"], 16) > 0
    assert by_name["ppp"].cpe.startswith(
        "cpe:2.3:a:point-to-point_protocol_project:point-to-point_protocol:2.4.5:"
    )
    assert by_name["dnsmasq"].cpe.startswith("cpe:2.3:a:thekelleys:dnsmasq:2.62:")
    assert by_name["busybox"].type == "application"
    assert by_name["uclibc"].type == "library"
    assert "2.0-devel" in dict(by_name["hostapd"].properties)["evidence"]


def test_kernel_banner_from_the_decompressed_kernel(
    cataloger: BinaryCataloger, wr703n_image: Path, tmp_path: Path
) -> None:
    raw = wr703n_image.read_bytes()[KERNEL_OFFSET:]
    kernel = lzma.LZMADecompressor(format=lzma.FORMAT_ALONE).decompress(raw)
    (tmp_path / "boot").mkdir()
    (tmp_path / "boot" / "vmlinux").write_bytes(kernel)
    rootfs = RootFS(tmp_path)
    [linux] = catalog(cataloger, rootfs)
    assert (linux.name, linux.version, linux.type) == ("linux", "3.3.8", "operating-system")
    assert linux.cpe == "cpe:2.3:o:linux:linux_kernel:3.3.8:*:*:*:*:*:*:*"
    assert dict(linux.properties)["evidence"].startswith("Linux version 3.3.8 (blogic@")
    [same] = cataloger.scan_bytes(kernel, "/kernel")
    assert (same.version, same.locations, same.cpe) == ("3.3.8", ("/kernel",), linux.cpe)


def test_wants_only_regular_named_files(cataloger: BinaryCataloger, wr703n_rootfs: RootFS) -> None:
    entries = {e.path: e for e in wr703n_rootfs.walk()}
    assert cataloger.wants(entries["/usr/sbin/dropbear"])
    assert not cataloger.wants(entries["/bin/sh"])  # a symlink to busybox
    assert not cataloger.wants(entries["/usr/sbin"])  # a directory
    assert not cataloger.wants(entries["/etc/passwd"])
    wanted = [e for e in entries.values() if cataloger.wants(e)]
    assert 15 <= len(wanted) <= 40  # the globs keep the scan to a few dozen of ~700 files


def test_both_engines_agree_and_runs_repeat(wr703n_rootfs: RootFS) -> None:
    fast = BinaryCataloger(backend="hyperscan")
    slow = BinaryCataloger(backend="python")
    first = catalog(fast, wr703n_rootfs)
    assert first == catalog(fast, wr703n_rootfs)
    assert first == catalog(slow, wr703n_rootfs)


def test_whole_rootfs_scan_is_fast(cataloger: BinaryCataloger, wr703n_rootfs: RootFS) -> None:
    catalog(cataloger, wr703n_rootfs)  # warm the page cache
    start = time.perf_counter()
    catalog(cataloger, wr703n_rootfs)
    assert time.perf_counter() - start < 1.5  # measured ~0.1 s; see benchmarks/


def test_oversized_file_is_reported_not_read(wr703n_rootfs: RootFS) -> None:
    small = BinaryCataloger(max_size=100_000)
    entry = next(e for e in wr703n_rootfs.walk() if e.path == "/bin/busybox")
    result = small.parse(wr703n_rootfs, entry)
    assert result.components == []
    [problem] = result.problems
    assert problem.path == "/bin/busybox"
    assert "limit" in problem.message
    assert problem.resolution


def test_mr3020_image_gives_the_same_components(
    cataloger: BinaryCataloger, shared_data: Path, tmp_path: Path
) -> None:
    """The TL-MR3020 build of the same OpenWrt release (squashfs at 0xe9c70)."""
    packed = shared_data / "firmware" / "openwrt-12.09-tplink"
    image = tmp_path / "mr3020.bin"
    image.write_bytes(
        lzma.decompress(
            (packed / "openwrt-ar71xx-generic-tl-mr3020-v1-squashfs-factory.bin.xz").read_bytes()
        )
    )
    dest = tmp_path / "root"
    subprocess.run(
        ["unsquashfs", "-no-progress", "-o", str(0xE9C70), "-d", str(dest), str(image)],
        check=True,
        capture_output=True,
    )
    found = catalog(cataloger, RootFS(dest))
    assert {(c.name, c.version, c.locations[0]) for c in found} == EXPECTED
