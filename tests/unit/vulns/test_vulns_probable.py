"""Versions between versions, date-stamped versions, fixed_in and "counts", on real NVD
records (the full 2002-2016 corpus)."""

from __future__ import annotations

import pytest

from assay.model.component import Component
from assay.model.identity import Identity
from assay.model.vulnerability import VulnerabilityMatch
from assay.vulns.counts import counts, kev_ids, why_not
from assay.vulns.importer import ImportReport
from assay.vulns.matching import match_components
from assay.vulns.store import Store
from assay.vulns.versions import compare, is_prerelease, release_of

HOSTAPD_SEVEN = {f"CVE-2015-{n}" for n in range(4141, 4147)} | {"CVE-2014-3686"}


def _match(store: Store, name: str, version: str, cpe: str) -> dict[str, VulnerabilityMatch]:
    comp = Component(name=name, version=version, cpe=cpe.format(version=version))
    return {m.id: m for m in match_components([comp], store, Identity())}


def test_date_stamped_versions_compare_as_upstream_means_them() -> None:
    assert compare("0.12", "0.12-20140410") == 0  # json-c's 0.12 release tag
    assert compare("0.11", "0.12-20140410") < 0
    assert compare("20120910", "20120101") > 0  # a version that is only a date keeps it
    assert is_prerelease("2.0-devel") and not is_prerelease("2.0")
    assert release_of("2.0-devel") == "2.0" and release_of("1.1rc2") == "1.1"


def test_json_c_0_12_is_the_fix(full_store: tuple[Store, ImportReport]) -> None:
    store, _ = full_store
    cpe = "cpe:2.3:a:json-c:json-c:{version}:*:*:*:*:*:*:*"
    assert not {"CVE-2013-6370", "CVE-2013-6371"} & set(_match(store, "json-c", "0.12", cpe))
    old = _match(store, "json-c", "0.11", cpe)
    assert {"CVE-2013-6370", "CVE-2013-6371"} <= set(old)
    assert old["CVE-2013-6371"].fixed_in == {
        "version": "0.12-20140410",
        "source": "NVD configuration (affected before this version)",
    }


def test_hostapd_snapshot_between_enumerated_versions_is_probable(
    full_store: tuple[Store, ImportReport],
) -> None:
    store, _ = full_store
    cpe = "cpe:2.3:a:w1.fi:hostapd:{version}:*:*:*:*:*:*:*"
    found = _match(store, "hostapd", "2.0-devel", cpe)
    assert {i for i, m in found.items() if m.status == "probable"} == HOSTAPD_SEVEN
    m = found["CVE-2015-4141"]
    assert "between 1.1 and 2.0" in m.why["reason"] and counts(m)
    assert m.fixed_in["version"] == "" and m.fixed_in["note"].startswith("no fix known")
    assert found["CVE-2015-8041"].status == "affected"  # a range: a direct match


@pytest.mark.parametrize("version", ["0.6-devel", "2.5-devel", "1.1", "3.0-devel"])
def test_no_probable_match_outside_the_listed_versions(
    full_store: tuple[Store, ImportReport], version: str
) -> None:
    store, _ = full_store
    cpe = "cpe:2.3:a:w1.fi:hostapd:{version}:*:*:*:*:*:*:*"
    found = _match(store, "hostapd", version, cpe)
    assert not any(m.status == "probable" for m in found.values())
    if version == "1.1":  # a listed release: direct matches
        assert {i for i, m in found.items() if m.status == "affected"} >= HOSTAPD_SEVEN


def test_unversioned_kernel_records_are_listed_apart(
    full_store: tuple[Store, ImportReport],
) -> None:
    store, _ = full_store
    cpe = "cpe:2.3:o:linux:linux_kernel:{version}:*:*:*:*:*:*:*"
    found = _match(store, "linux-kernel", "3.3.8", cpe)
    dash = found["CVE-2016-0774"]  # NVD names linux_kernel version "-" (a Debian/RHEL backport)
    assert dash.status == "unversioned" and not counts(dash) and "no version" in why_not(dash)
    assert found["CVE-2016-5195"].status == "affected"
    assert "CVE-2016-0774" not in kev_ids(found.values())


def test_counts_reads_objects_and_documents() -> None:
    live = VulnerabilityMatch("CVE-1", "c", "high", kev=True)
    gone = VulnerabilityMatch("CVE-2", "c", "high", kev=True, status="not_affected")
    cond = VulnerabilityMatch("CVE-3", "c", "high", kev=True, conditional=True)
    assert [counts(m) for m in (live, gone, cond)] == [True, False, False]
    assert kev_ids([live, gone, cond]) == ("CVE-1",)
    assert kev_ids([m.to_dict() for m in (live, gone, cond)]) == ("CVE-1",)
    assert counts({"id": "CVE-4", "kev": True})  # documents written before "status" existed
