"""The supplier's SBOM against the bundled image: every planted mismatch is found, and a
faithful SBOM gives none, in every format Assay reads."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest

from assay.supply import compare, load_sbom
from assay.supply.inventory import Inventory

sys.path.insert(0, str(Path(__file__).resolve().parent))
from supplier import (  # noqa: E402
    package_list,
    write_buildroot_manifest,
    write_cyclonedx,
    write_cyclonedx_xml,
    write_openwrt_manifest,
    write_spdx,
    write_spdx3,
)


@pytest.fixture(scope="module")
def packages(wr703n_inventory: Inventory) -> list[dict[str, Any]]:
    return package_list(wr703n_inventory)


def _altered(packages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop dropbear, add openssl, change busybox's version, dnsmasq's hash, kernel's licence."""
    out = [copy.deepcopy(p) for p in packages if p["name"] != "dropbear"]
    by_name = {p["name"]: p for p in out}
    by_name["busybox"]["version"] = "1.22.1-2"
    by_name["dnsmasq"]["sha256"] = "ab" * 32
    by_name["kernel"]["license"] = "MIT"
    out.append({"name": "openssl", "version": "1.0.1e-1", "license": ""})
    return out


def test_the_package_list_is_the_real_one(packages: list[dict[str, Any]]) -> None:
    names = {p["name"] for p in packages}
    assert len(packages) == 80
    assert {"busybox", "dropbear", "dnsmasq", "kernel", "wpad-mini"} <= names
    assert sum("sha256" in p for p in packages) > 60  # most packages own a readable file


@pytest.mark.parametrize(
    "writer,fmt",
    [
        (write_cyclonedx, "cyclonedx-json"),
        (write_cyclonedx_xml, "cyclonedx-xml"),
        (write_spdx, "spdx"),
        (write_spdx3, "spdx3"),
        (write_openwrt_manifest, "openwrt-manifest"),
        (write_buildroot_manifest, "buildroot-manifest"),
    ],
)
def test_a_faithful_sbom_gives_no_mismatch(
    writer: Any,
    fmt: str,
    packages: list[dict[str, Any]],
    wr703n_inventory: Inventory,
    tmp_path: Path,
) -> None:
    suffix = {"spdx": ".spdx.json", "cyclonedx-xml": ".cdx.xml", "spdx3": ".jsonld"}.get(
        fmt, ".txt"
    )
    sbom = load_sbom(writer(packages, tmp_path / f"sbom{suffix}"))
    assert sbom.format == fmt and len(sbom.components) == 80
    result = compare(sbom, wr703n_inventory)
    assert result.mismatches == []
    assert result.verdict == "FAITHFUL"
    assert result.measured == 82  # 80 packages + hostapd and wpa_supplicant inside wpad-mini
    assert result.fidelity == 1.0


@pytest.mark.parametrize("writer,name", [(write_spdx, "sbom.spdx"), (write_spdx3, "s.jsonld")])
def test_spdx_tag_value_and_spdx3_find_the_planted_mismatches(
    writer: Any,
    name: str,
    packages: list[dict[str, Any]],
    wr703n_inventory: Inventory,
    tmp_path: Path,
) -> None:
    sbom = load_sbom(writer(_altered(packages), tmp_path / name))
    found = sorted((m.kind, m.name) for m in compare(sbom, wr703n_inventory).mismatches)
    assert found == [
        ("declared-absent", "openssl"),
        ("hash", "dnsmasq"),
        ("license", "kernel"),
        ("undeclared", "dropbear"),
        ("version", "busybox"),
    ]


def test_every_planted_mismatch_is_reported_and_nothing_else(
    packages: list[dict[str, Any]], wr703n_inventory: Inventory, tmp_path: Path
) -> None:
    sbom = load_sbom(write_cyclonedx(_altered(packages), tmp_path / "altered.cdx.json"))
    result = compare(sbom, wr703n_inventory)
    found = {(m.kind, m.name): m for m in result.mismatches}
    assert set(found) == {
        ("undeclared", "dropbear"),
        ("declared-absent", "openssl"),
        ("version", "busybox"),
        ("hash", "dnsmasq"),
        ("license", "kernel"),
    }
    # each carries evidence from the image
    assert "/usr/sbin/dropbear" in found["undeclared", "dropbear"].evidence
    assert found["version", "busybox"].measured == "1.19.4-6"
    assert found["version", "busybox"].declared == "1.22.1-2"
    assert "/usr/sbin/dnsmasq" in found["hash", "dnsmasq"].evidence
    assert found["license", "kernel"].measured == "GPL-2.0-only"
    assert "opkg-db" in found["declared-absent", "openssl"].evidence
    assert "files named like it" not in found["declared-absent", "openssl"].evidence

    # fidelity: 82 measured, 4 wrong (dropbear undeclared, busybox, dnsmasq, kernel)
    assert (result.measured, result.correct) == (82, 78)
    assert result.fidelity == pytest.approx(78 / 82)
    assert result.verdict == "UNFAITHFUL"


def test_an_absent_component_with_files_named_like_it_says_so(
    wr703n_inventory: Inventory, tmp_path: Path
) -> None:
    """'ath9k' is not a package of the image, but kernel modules carry the name."""
    path = tmp_path / "m"
    path.write_text("ath9k - 1.0\n")
    [absent] = [m for m in compare(load_sbom(path), wr703n_inventory).mismatches
                if m.kind == "declared-absent"]  # fmt: skip
    assert "not identified as it: /etc/modules.d/27-ath9k-common" in absent.evidence
    assert "/lib/modules/3.3.8/ath9k.ko" in absent.evidence


def test_dropping_the_owning_package_makes_its_binaries_undeclared(
    packages: list[dict[str, Any]], wr703n_inventory: Inventory, tmp_path: Path
) -> None:
    dropped = [p for p in packages if p["name"] != "wpad-mini"]
    result = compare(load_sbom(write_openwrt_manifest(dropped, tmp_path / "m")), wr703n_inventory)
    assert sorted(m.name for m in result.mismatches) == ["hostapd", "wpa_supplicant", "wpad-mini"]
    hostapd = next(m for m in result.mismatches if m.name == "hostapd")
    assert "/usr/sbin/wpad" in hostapd.evidence and "binary-signature" in hostapd.evidence


def test_upstream_version_and_alias_are_stated_correctly(
    wr703n_inventory: Inventory, tmp_path: Path
) -> None:
    """A Buildroot-style 'linux 3.3.8' and 'busybox 1.19.4' state the image's packages."""
    path = tmp_path / "manifest.csv"
    path.write_text("PACKAGE,VERSION,LICENSE\nlinux,3.3.8,GPL-2.0\nbusybox,1.19.4,GPL-2.0\n")
    result = compare(load_sbom(path), wr703n_inventory)
    assert not [m for m in result.mismatches if m.kind != "undeclared"]
    assert result.correct == 2


def test_hashes_cannot_be_checked_from_an_assessment_alone(
    packages: list[dict[str, Any]], wr703n_assessment_file: Path, tmp_path: Path
) -> None:
    inventory = Inventory.from_file(wr703n_assessment_file)
    result = compare(load_sbom(write_cyclonedx(packages, tmp_path / "s.json")), inventory)
    assert result.mismatches == []
    assert result.verdict == "INCONCLUSIVE"  # hashes were claimed and could not be checked
    assert any("no unpacked image" in note for note in result.unchecked)


def test_another_devices_manifest_is_not_this_image(
    shared_data: Path, wr703n_inventory: Inventory
) -> None:
    """The OpenWrt 22.03.4 Carambola2 manifest (real) against the 12.09 WR703N image."""
    manifest = (
        shared_data / "supply-chain/openwrt-22.03.4-berlin4apk/22.03.4-rsync/targets/ath79/"
        "generic/openwrt-ath79-generic-8dev_carambola2.manifest"
    )
    result = compare(load_sbom(manifest), wr703n_inventory)
    assert result.verdict == "UNFAITHFUL"
    busybox = next(m for m in result.mismatches if m.name == "busybox")
    assert (busybox.kind, busybox.declared, busybox.measured) == ("version", "1.35.0-5", "1.19.4-6")
    assert result.fidelity is not None and result.fidelity < 0.1
