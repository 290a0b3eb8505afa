"""`assay scan` of the real OpenWrt 12.09 TL-WR703N image, end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from assay.cli import main

# What the image's opkg database says (checked by hand in /usr/lib/opkg/info/*.control).
PACKAGE_VERSIONS = {
    "busybox": "1.19.4-6",
    "dnsmasq": "2.62-2",
    "dropbear": "2011.54-2",
    "iptables": "1.4.10-4",
    "libc": "0.9.33.2-1",
    "wpad-mini": "20120910-1",
    "ppp": "2.4.5-8",
    "lua": "5.1.4-8",
    "liblua": "5.1.4-8",
    "luci": "0.11.1-1",
    "uboot-envtools": "2012.04.01-1",
    "uhttpd": "2012-10-30-e57bf6d8bfa465a50eea2c30269acdfe751a46fd",
    "kernel": "3.3.8-1-d6597ebf6203328d3519ea3c3371a493",
}
# What the binaries themselves show, and the package each is merged into (None: own component
# linked to the package that owns the file).
SIGNATURES = {
    "busybox": ("1.19.4", "busybox"),
    "dnsmasq": ("2.62", "dnsmasq"),
    "dropbear": ("2011.54", "dropbear"),
    "uclibc": ("0.9.33.2", "libc"),
    "iptables": ("1.4.10", "iptables"),
    "pppd": ("2.4.5", "ppp"),
    "lua": ("5.1.4", "liblua"),
    "hostapd": ("2.0-devel", None),
    "wpa-supplicant": ("2.0-devel", None),
}


@pytest.fixture(scope="module")
def scan(wr703n_image: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scan-out")
    code = main(["scan", str(wr703n_image), "--out", str(out), "--quiet"])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def doc(scan: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((scan / "assessment.json").read_text())
    return data


def _by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in doc["components"]}


def test_all_80_opkg_packages_with_exact_versions(doc: dict[str, Any]) -> None:
    packages = [c for c in doc["components"] if "opkg-db" in c["found_by"]]
    assert len(packages) == 80
    assert len({c["purl"] for c in packages}) == 80
    names = _by_name(doc)
    for name, version in PACKAGE_VERSIONS.items():
        assert names[name]["version"] == version, name
    busybox = names["busybox"]
    assert busybox["purl"] == "pkg:opkg/openwrt/busybox@1.19.4-6?arch=ar71xx&distro=openwrt-12.09"
    assert "/bin/busybox" in busybox["files"]


def test_signature_components_merged_with_their_packages(doc: dict[str, Any]) -> None:
    names = _by_name(doc)
    for signature, (version, package) in SIGNATURES.items():
        if package is None:
            hits = [c for c in doc["components"] if c["properties"].get("signature") == signature]
            assert len(hits) == 1, signature
            assert hits[0]["version"] == version
            assert hits[0]["properties"]["package"] == "wpad-mini"
            assert hits[0]["locations"] == ["/usr/sbin/wpad"]
            continue
        comp = names[package]
        assert "binary-signature" in comp["found_by"], signature
        assert comp["properties"]["signature"] == signature
        assert comp["properties"]["upstream_version"] == version
        assert f":{version}:" in comp["cpe"]
    # never reported twice: one component per NVD product and version
    products = [(c["cpe"].split(":")[3:6]) for c in doc["components"] if c["cpe"]]
    dup = [p for p in products if products.count(p) > 1 and p[1] != "lua"]
    assert dup == []


def test_kernel_from_the_image_is_merged_with_the_kernel_package(doc: dict[str, Any]) -> None:
    kernel = _by_name(doc)["kernel"]
    assert kernel["cpe"].startswith("cpe:2.3:o:linux:linux_kernel:3.3.8:")
    assert "kernel-banner" in kernel["found_by"]
    assert any(loc.startswith("image:") for loc in kernel["locations"])


def test_kernel_build_date_agrees_with_the_squashfs_creation_time(
    doc: dict[str, Any], wr703n_image: Path
) -> None:
    """The build date read from the kernel banner is the day the image's SquashFS was made
    (its superblock's mkfs_time, read here independently)."""
    import struct
    from datetime import UTC, datetime

    data = wr703n_image.read_bytes()
    superblock = data.find(b"hsqs")
    made = datetime.fromtimestamp(struct.unpack_from("<I", data, superblock + 8)[0], UTC)
    kernel = _by_name(doc)["kernel"]
    assert kernel["properties"]["build_date"] == made.date().isoformat() == "2013-03-23"


def test_identity_from_header_and_rootfs(doc: dict[str, Any]) -> None:
    ident = doc["identity"]
    assert (ident["vendor"], ident["model"], ident["hardware_version"]) == (
        "TP-Link",
        "TL-WR703N",
        "v1",
    )
    assert (ident["os_name"], ident["os_version"], ident["os_build"]) == (
        "OpenWrt",
        "12.09",
        "r36088",
    )
    assert ident["kernel_version"] == "3.3.8"


def test_required_fields_and_no_problems(doc: dict[str, Any]) -> None:
    for comp in doc["components"]:
        for key in ("name", "version", "purl", "cpe", "found_by", "locations"):
            assert key in comp
        assert comp["found_by"] and comp["locations"]
    assert doc["problems"] == []
    assert len(doc["target"]["sha256"]) == 64


def test_sbom_is_valid_cyclonedx_1_6(scan: Path, doc: dict[str, Any]) -> None:
    text = (scan / "sbom.cdx.json").read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    sbom = json.loads(text)
    assert sbom["specVersion"] == "1.6"
    nested = [n for c in sbom["components"] for n in c.get("components", [])]
    assert {n["name"] for n in nested} == {"hostapd", "wpa_supplicant"}  # inside wpad-mini
    assert len(sbom["components"]) + len(nested) == len(doc["components"])
    dropbear = next(c for c in sbom["components"] if c["name"] == "dropbear")
    techniques = {m["technique"] for m in dropbear["evidence"]["identity"][0]["methods"]}
    assert techniques == {"binary-analysis", "manifest-analysis"}
    locations = {o["location"] for o in dropbear["evidence"]["occurrences"]}
    assert "/usr/sbin/dropbear" in locations
    assert sbom["metadata"]["component"]["name"] == "TP-Link TL-WR703N v1"


def test_directory_and_tar_targets_give_the_same_packages(
    wr703n_rootfs: Any, doc: dict[str, Any], tmp_path: Path
) -> None:
    import tarfile

    expected = {c["purl"] for c in doc["components"] if "opkg-db" in c["found_by"]}
    code = main(
        [
            "scan",
            str(wr703n_rootfs.root),
            "--out",
            str(tmp_path / "d"),
            "-q",
            "--no-vulns",
            "--no-checks",
        ]
    )
    assert code == 0
    from_dir = json.loads((tmp_path / "d" / "assessment.json").read_text())
    assert {c["purl"] for c in from_dir["components"] if "opkg-db" in c["found_by"]} == expected
    archive = tmp_path / "rootfs.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(wr703n_rootfs.root, arcname=".")
    code = main(
        ["scan", str(archive), "--out", str(tmp_path / "t"), "-q", "--no-vulns", "--no-checks"]
    )
    assert code == 0
    from_tar = json.loads((tmp_path / "t" / "assessment.json").read_text())
    assert from_tar["target"]["kind"] == "archive"
    assert {c["purl"] for c in from_tar["components"] if "opkg-db" in c["found_by"]} == expected


def test_distribution_is_a_component(doc: dict[str, Any]) -> None:
    openwrt = _by_name(doc)["openwrt"]
    assert openwrt["version"] == "12.09"
    assert openwrt["cpe"].startswith("cpe:2.3:o:openwrt:openwrt:12.09:")
    assert openwrt["locations"] == ["/etc/openwrt_release"]


def test_binary_evidence_replaces_the_package_name_guess(doc: dict[str, Any]) -> None:
    # wpad-mini's hostapd and wpa_supplicant are matched once, through what the binary shows
    by_component: dict[str, set[str]] = {}
    for vuln in doc["vulnerabilities"]:
        by_component.setdefault(vuln["component"].split("@")[0], set()).add(vuln["id"])
    assert "pkg:opkg/openwrt/wpad-mini" not in by_component
    assert by_component["pkg:generic/hostapd"]
    # every match says why
    assert all(v["why"] for v in doc["vulnerabilities"])


def test_kernel_version_when_only_the_kernel_image_says_it(
    wr703n_image: Path, tmp_path: Path
) -> None:
    """A tree without /lib/modules but with the image's real kernel: the kernel is found by
    its banner and by the binary signature, the merge keeps the signature's name, and the
    identity still gets the kernel version (from the merged component's CPE)."""
    import lzma

    root = tmp_path / "root"
    for sub in ("etc", "bin", "lib", "boot"):
        (root / sub).mkdir(parents=True)
    (root / "etc" / "os-release").write_text("ID=openwrt\n")
    data = wr703n_image.read_bytes()
    kernel = lzma.LZMADecompressor(format=lzma.FORMAT_ALONE).decompress(data[512:957610])
    (root / "boot" / "vmlinux").write_bytes(kernel)
    out = tmp_path / "out"
    assert main(["scan", str(root), "--out", str(out), "-q", "--no-vulns"]) == 0
    doc = json.loads((out / "assessment.json").read_text())
    kernels = [c for c in doc["components"] if ":linux:linux_kernel:" in c["cpe"]]
    assert len(kernels) == 1 and "kernel-banner" in kernels[0]["found_by"]
    assert doc["identity"]["kernel_version"] == "3.3.8"
