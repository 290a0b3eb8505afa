"""The OS as the tree names it: release numbers only, vendor SDKs as themselves, valid ids."""

from __future__ import annotations

from pathlib import Path

import pytest
from packageurl import PackageURL

from assay.catalog.binary import load_signatures
from assay.catalog.identity import identify_rootfs, os_component, release
from assay.catalog.ids import cpe_escape, purl
from assay.extract.rootfs import RootFS


def _tree(tmp_path: Path, files: dict[str, str]) -> RootFS:
    for path, text in files.items():
        target = tmp_path / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return RootFS(tmp_path)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.09", "12.09"),
        ("21.02.0-rc1", "21.02.0-rc1"),
        ("SNAPSHOT", ""),
        ("15.05, Chaos Calmer", "15.05"),
        ("Chaos Calmer", ""),
        ("2015.05-gefbdfd8", "2015.05"),
        ("snapshot", ""),
    ],
)
def test_release_numbers_never_codenames(value: str, expected: str) -> None:
    assert release(value) == expected


def test_lede_snapshot_has_no_version_and_no_cpe(tmp_path: Path) -> None:
    """Xiaomi LX06: LEDE 'SNAPSHOT' build 70-1-1."""
    ident = identify_rootfs(
        _tree(
            tmp_path,
            {
                "/etc/openwrt_release": "DISTRIB_ID='LEDE'\nDISTRIB_RELEASE='SNAPSHOT'\n"
                "DISTRIB_REVISION='70-1-1'\nDISTRIB_CODENAME='reboot'\n",
                "/etc/os-release": 'NAME="LEDE"\nVERSION="SNAPSHOT, Reboot"\n'
                'VERSION_ID="snapshot"\n',
            },
        )
    )
    assert (ident.os_id, ident.os_version, ident.os_build) == ("openwrt", "", "70-1-1")
    comp = os_component(ident)
    assert comp is not None
    assert (comp.version, comp.cpe, comp.purl) == ("", "", "pkg:generic/openwrt")
    assert dict(comp.properties)["build"] == "70-1-1"


def test_codename_in_os_release_version_is_not_the_version(tmp_path: Path) -> None:
    ident = identify_rootfs(
        _tree(
            tmp_path,
            {"/etc/os-release": 'NAME="OpenWrt"\nID="openwrt"\nVERSION="15.05.1, Chaos Calmer"\n'},
        )
    )
    assert ident.os_version == "15.05.1"


def test_vendor_sdk_is_named_as_itself_with_its_parent(tmp_path: Path) -> None:
    ident = identify_rootfs(
        _tree(
            tmp_path, {"/etc/openwrt_release": "DISTRIB_ID='MiWiFi'\nDISTRIB_RELEASE='2.10.46'\n"}
        )
    )
    comp = os_component(ident)
    assert comp is not None
    assert (comp.name, comp.version, comp.cpe) == ("miwifi", "2.10.46", "")
    assert dict(comp.properties)["parent"] == "OpenWrt"


def test_buildroot_android_and_issue(tmp_path: Path) -> None:
    br = identify_rootfs(
        _tree(
            tmp_path / "br",
            {
                "/etc/os-release": "NAME=Buildroot\nVERSION=2013.02-05999-g8a0fa08\n"
                "ID=buildroot\nVERSION_ID=2013.02\n"
            },
        )
    )
    assert (br.os_id, br.os_version) == ("buildroot", "2013.02")
    android = identify_rootfs(
        _tree(
            tmp_path / "a",
            {"/system/build.prop": "ro.build.version.release=9\nro.build.display.id=PQ3A\n"},
        )
    )
    assert (android.os_id, android.os_version, android.os_build) == ("android", "9", "PQ3A")
    issue = identify_rootfs(_tree(tmp_path / "i", {"/etc/issue": "Welcome to Buildroot 2014.02\n"}))
    assert (issue.os_id, issue.os_version) == ("buildroot", "2014.02")


@pytest.mark.parametrize("version", ["0.1 beta2", "1.0+git#5", "2.2.2-dev(38a443e)", "v1:2/3?x"])
def test_every_character_gives_a_valid_purl_and_cpe(version: str) -> None:
    text = purl("igmpproxy", version)
    assert PackageURL.from_string(text).version == version
    assert " " not in text
    escaped = cpe_escape(version)
    assert " " not in escaped and ":" not in escaped.replace("\\:", "")
    sig = load_signatures()[0]
    assert PackageURL.from_string(sig.purl_for(version)).version == version
