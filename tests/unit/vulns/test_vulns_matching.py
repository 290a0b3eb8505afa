"""Matching on real NVD records whose configurations were read by hand, for the versions
in the real OpenWrt 12.09 WR703N image."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from vulns_expected import EXPECTED, NOT_EXPECTED

from assay.model.component import Component
from assay.model.identity import Identity
from assay.model.vulnerability import VulnerabilityMatch
from assay.vulns import match_components
from assay.vulns.importer import ImportReport
from assay.vulns.store import Store


def _by_name(matches: list[VulnerabilityMatch], name: str) -> dict[str, VulnerabilityMatch]:
    return {m.id: m for m in matches if m.why["component"]["name"] == name}


@pytest.fixture(scope="module")
def wr703n_matches(
    wr703n_packages: list[Component], snapshot: Store, wr703n_identity: Identity
) -> list[VulnerabilityMatch]:
    return match_components(wr703n_packages, snapshot, wr703n_identity)


def test_openwrt_packages_against_snapshot(wr703n_matches: list[VulnerabilityMatch]) -> None:
    for name, expected in EXPECTED.items():
        found = _by_name(wr703n_matches, name)
        # the snapshot also holds 2017+ records from the modified feeds; the 2002-2016 ones
        # must be exactly these
        old = {i for i in found if int(i.split("-")[1]) <= 2016}
        assert old == expected, name
        assert not NOT_EXPECTED.get(name, set()) & set(found), name


def test_every_match_says_why(wr703n_matches: list[VulnerabilityMatch]) -> None:
    assert wr703n_matches
    for m in wr703n_matches:
        assert m.why["record"] and m.why["source"] in ("nvd", "override", "cve5", "osv")
        assert m.why["reason"] and m.why["component"]["ref"] == m.component
        assert m.priority in ("act", "attend", "track*", "track")
        assert m.why["priority"]["outcome"] == m.priority
        if m.why["source"] in ("nvd", "override"):
            assert m.why["matched"] and m.why["matched"][0]["criteria"].startswith("cpe:2.3:")
    busybox = _by_name(wr703n_matches, "busybox")["CVE-2011-2716"]
    assert busybox.why["matched"][0] == {
        "criteria": "cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*",
        "versionEndIncluding": "1.19.4",
    }
    assert busybox.why["component"]["compared_version"] == "1.19.4"
    assert "1.19.4-6 -> 1.19.4" in busybox.why["component"]["version_basis"]
    assert busybox.confidence == "high" and not busybox.conditional


def test_dropbear_is_found_under_its_other_vendor_name(
    wr703n_matches: list[VulnerabilityMatch],
) -> None:
    # packages.yaml names dropbear matt_johnston:dropbear_ssh_server; these records use
    # dropbear_ssh_project:dropbear_ssh - the alias table joins them
    m = _by_name(wr703n_matches, "dropbear")["CVE-2012-0920"]
    assert "dropbear_ssh_project:dropbear_ssh" in m.why["matched"][0]["criteria"]
    assert m.why["matched"][0]["versionEndIncluding"] == "2012.54"


def test_wpad_snapshot_is_hostapd_2_0_devel(wr703n_matches: list[VulnerabilityMatch]) -> None:
    found = _by_name(wr703n_matches, "wpad-mini")
    # ranges that cover 2.0-devel: <= 2.4 and 0.6.7..2.5; lists of exact versions (1.1, 2.0...)
    # that list both releases around the snapshot make it a probable match
    assert {"CVE-2015-8041", "CVE-2016-4476"} <= set(found)
    assert found["CVE-2016-4476"].status == "affected"
    assert {found[i].status for i in ("CVE-2014-3686", "CVE-2015-4141")} == {"probable"}
    assert "between 1.1 and 2.0" in found["CVE-2015-4141"].why["reason"]
    assert "CVE-2012-4445" not in found  # lists 0.7.x only: 2.0-devel is not between them
    m = found["CVE-2016-4476"]
    assert m.why["component"]["compared_version"] == "2.0-devel"
    assert m.confidence == "medium"


def test_kernel_boundaries_and_kev(wr703n_matches: list[VulnerabilityMatch]) -> None:
    kernel = _by_name(wr703n_matches, "kernel")
    assert "CVE-2012-6701" not in kernel  # 3.3 <= v < 3.3.8: 3.3.8 is the excluded end
    assert "CVE-2012-2123" not in kernel  # 3.3 <= v < 3.3.3
    assert "CVE-2011-4086" not in kernel  # <= 3.3
    assert "CVE-2012-2136" in kernel  # 3.3 <= v < 3.4.5
    dirty_cow = kernel["CVE-2016-5195"]  # 3.3 <= v < 3.4.113, in CISA KEV
    assert dirty_cow.kev and dirty_cow.priority == "act"
    assert dirty_cow.why["kev"]["date_added"] == "2022-03-03"
    assert dirty_cow.epss is not None and dirty_cow.epss > 0.5


def test_running_on_hardware_is_checked_against_identity(
    wr703n_packages: list[Component], snapshot: Store, wr703n_identity: Identity
) -> None:
    kernel = [c for c in wr703n_packages if c.name == "kernel"]
    # CVE-2013-2596: Linux 3.3 <= v < 3.4.42 AND running on Motorola/Qualcomm MSM hardware
    on_wr703n = {m.id: m for m in match_components(kernel, snapshot, wr703n_identity)}
    assert "CVE-2013-2596" not in on_wr703n  # the identity says TP-Link TL-WR703N
    unknown = {m.id: m for m in match_components(kernel, snapshot, Identity())}
    m = unknown["CVE-2013-2596"]
    assert m.conditional
    assert {p["result"] for p in m.why["platforms"]} == {"unknown"}
    assert "could not be checked" in m.why["reason"]
    assert not unknown["CVE-2012-2136"].conditional


def test_running_on_os_is_checked_against_identity(
    wr703n_packages: list[Component], snapshot: Store, wr703n_identity: Identity
) -> None:
    wpad = [c for c in wr703n_packages if c.name == "wpad-mini"]
    # CVE-2023-52160: wpa_supplicant <= 2.10 AND running on android / chrome_os / linux_kernel
    known = {m.id: m for m in match_components(wpad, snapshot, wr703n_identity)}
    m = known["CVE-2023-52160"]
    assert not m.conditional
    assert any(p["result"] == "true" and "3.3.8" in p["by"] for p in m.why["platforms"])
    unknown = {m.id: m for m in match_components(wpad, snapshot, Identity())}
    assert unknown["CVE-2023-52160"].conditional
    other_os = {
        m.id for m in match_components(wpad, snapshot, Identity(os_name="FreeBSD", os_id="freebsd"))
    }
    assert "CVE-2023-52160" not in other_os


def test_component_cpe_wins_and_exact_versions(snapshot: Store) -> None:
    from_signature = Component(
        name="dnsmasq",
        version="2.62",
        cpe="cpe:2.3:a:thekelleys:dnsmasq:2.62:*:*:*:*:*:*:*",
        found_by=("binary-signature",),
    )
    ids = {m.id for m in match_components([from_signature], snapshot)}
    assert EXPECTED["dnsmasq"] <= ids
    newer = replace(from_signature, version="2.63", cpe="cpe:2.3:a:thekelleys:dnsmasq:2.63")
    ids63 = {m.id for m in match_components([newer], snapshot)}
    assert "CVE-2012-3411" not in ids63 and "CVE-2013-0198" in ids63  # <= 2.62 ends before
    dnsmasq_229 = Component(name="dnsmasq", version="2.29", purl="pkg:deb/debian/dnsmasq@2.29-1")
    ids229 = {m.id for m in match_components([dnsmasq_229], snapshot)}
    assert "CVE-2006-2017" in ids229  # dnsmasq:dnsmasq 2.29, an exact version


def test_unnamed_components_match_nothing(snapshot: Store) -> None:
    odd = [
        Component(name="libubox", version="2013-01-29-0bc317aa", purl="pkg:opkg/openwrt/libubox@x"),
        Component(name="busybox", version=""),
    ]
    assert match_components(odd, snapshot) == []


@pytest.mark.slow
def test_full_corpus_wr703n(
    full_store: tuple[Store, ImportReport],
    wr703n_packages: list[Component],
    wr703n_identity: Identity,
) -> None:
    store, _ = full_store
    matches = match_components(wr703n_packages, store, wr703n_identity)
    for name, expected in EXPECTED.items():
        found = {i for i in _by_name(matches, name) if int(i.split("-")[1]) <= 2016}
        assert found == expected, name
    assert {"CVE-2015-8041", "CVE-2016-4476"} <= set(_by_name(matches, "wpad-mini"))
    kernel = _by_name(matches, "kernel")
    assert "CVE-2012-2136" in kernel and "CVE-2012-6701" not in kernel


@pytest.fixture(scope="module")
def cve5_osv_store(vulns_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Store:
    """Only CVE JSON 5 and OSV records: NVD has no configuration for any of them here."""
    store = Store.open(tmp_path_factory.mktemp("cve5osv") / "v.sqlite", create=True)
    store.import_paths(
        [vulns_data / "cve5" / "sample", vulns_data / "osv" / "almalinux" / "sample"]
    )
    return store


def test_cve5_kernel_cna_ranges(cve5_osv_store: Store) -> None:
    # CVE-2024-50060 (kernel CNA): unaffected 6.1.113..6.1.*, 6.6.57..6.6.*, 6.11.4..6.11.*,
    # 6.12-rc1 and later; everything else affected (defaultStatus), git ranges passed over
    def kernel(version: str) -> dict[str, VulnerabilityMatch]:
        comp = Component(
            name="linux-kernel", version=version, cpe="cpe:2.3:o:linux:linux_kernel:" + version
        )
        return {m.id: m for m in match_components([comp], cve5_osv_store)}

    old = kernel("3.3.8")["CVE-2024-50060"]
    assert old.why["source"] == "cve5" and old.confidence == "low"
    assert "defaultStatus affected" in old.why["reason"]
    assert "CVE-2024-50060" in kernel("6.1.100")
    assert "CVE-2024-50060" not in kernel("6.1.113")  # the fixed stable release
    assert "CVE-2024-50060" not in kernel("6.6.60")
    assert "CVE-2024-50060" not in kernel("6.12")


def test_osv_almalinux_rpm_with_epoch(cve5_osv_store: Store) -> None:
    # ALSA-2024:2517: wpa_supplicant fixed in 1:2.10-5.el9 (related CVE-2023-52160)
    def rpm(version: str) -> set[str]:
        comp = Component(
            name="wpa_supplicant",
            version=version,
            purl=f"pkg:rpm/almalinux/wpa_supplicant@{version}?epoch=1&distro=almalinux-9",
        )
        return {m.id for m in match_components([comp], cve5_osv_store)}

    assert "CVE-2023-52160" in rpm("2.10-4.el9")
    assert "CVE-2023-52160" not in rpm("2.10-5.el9")
    comp = Component(
        name="wpa_supplicant",
        version="2.10-4.el9",
        purl="pkg:rpm/almalinux/wpa_supplicant@2.10-4.el9?epoch=1",
    )
    (m,) = [x for x in match_components([comp], cve5_osv_store) if x.id == "CVE-2023-52160"]
    assert m.why["source"] == "osv" and m.why["record"] == "ALSA-2024:2517"
    assert "fixed 1:2.10-5.el9" in m.why["reason"] and "ALSA-2024:2517" in m.aliases


def test_nvd_format_overrides_for_unanalysed_cves(vulns_data: Path, tmp_path: Path) -> None:
    # Anchore's configurations for CVEs NVD had not analysed: CVE-2024-58251 busybox <= 1.37.0,
    # CVE-2025-47203 dropbear_ssh < 2025.88
    store = Store.open(tmp_path / "v.sqlite", create=True)
    report = store.import_paths([vulns_data / "nvd" / "anchore-overrides" / "sample"])
    assert {f.format for f in report.feeds} == {"override"} and report.skipped_total == 0

    def ids(name: str, version: str) -> dict[str, VulnerabilityMatch]:
        comp = Component(name=name, version=version, purl=f"pkg:opkg/openwrt/{name}@{version}")
        return {m.id: m for m in match_components([comp], store)}

    busybox = ids("busybox", "1.19.4-6")["CVE-2024-58251"]
    assert busybox.why["source"] == "override" and "override" in busybox.why["reason"]
    assert busybox.why["matched"][0]["versionEndIncluding"] == "1.37.0"
    assert "CVE-2024-58251" in ids("busybox", "1.37.0-1")  # the including end
    assert "CVE-2024-58251" not in ids("busybox", "1.38.0-1")
    assert "CVE-2025-47203" in ids("dropbear", "2011.54-2")
    assert "CVE-2025-47203" not in ids("dropbear", "2025.88-1")  # the excluding end
