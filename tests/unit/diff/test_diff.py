"""Firmware diff on the two real OpenWrt images and on a constructed upgrade."""

from __future__ import annotations

import copy
from typing import Any

from assay.diff import compare_versions, diff_assessments


def test_version_order_understands_package_revisions() -> None:
    assert compare_versions("1.19.4-6", "1.19.4-7") < 0  # opkg/deb revision
    assert compare_versions("2.62-2", "2.62-10") < 0  # numeric, not text, order
    assert compare_versions("3.3.8", "3.10.1") < 0  # dotted
    assert compare_versions("1.0~rc1", "1.0") < 0  # tilde sorts first
    assert compare_versions("1:0.9", "2.0") > 0  # epoch wins
    assert compare_versions("1.0.1f", "1.0.1") > 0  # letter patch level
    assert compare_versions("0.9.33.2-1", "0.9.33.2-1") == 0


def test_wr703n_vs_mr3020_differ_only_in_identity(
    wr703n: dict[str, Any], mr3020: dict[str, Any]
) -> None:
    diff = diff_assessments(wr703n, mr3020)
    assert diff.identity == (("model", "TL-WR703N", "TL-MR3020"),)
    assert diff.components == ()
    assert diff.vulnerabilities == ()
    assert diff.unchanged_components == len(wr703n["components"]) == 81
    assert diff.still_open == ("CVE-2012-0920", "CVE-2013-2094", "CVE-2014-3153", "CVE-2016-5195")
    assert not diff.empty  # the identity differs


def _upgraded(old: dict[str, Any]) -> dict[str, Any]:
    """A next firmware: dropbear upgraded (its CVE fixed), busybox revision bump, dnsmasq
    downgraded, ppp removed, curl added with a new CVE, a check and a verdict changed."""
    new = copy.deepcopy(old)
    comps = {c["name"]: c for c in new["components"]}
    comps["dropbear"]["version"] = "2012.55-1"
    comps["dropbear"]["purl"] = comps["dropbear"]["purl"].replace("2011.54-2", "2012.55-1")
    comps["busybox"]["version"] = "1.19.4-7"
    comps["dnsmasq"]["version"] = "2.62-1"
    new["components"] = [c for c in new["components"] if c["name"] != "ppp"]
    new["components"].append(
        {"name": "curl", "version": "7.29.0-1", "purl": "pkg:opkg/openwrt/curl@7.29.0-1"}
    )
    new["vulnerabilities"] = [v for v in new["vulnerabilities"] if v["id"] != "CVE-2012-0920"]
    new["vulnerabilities"].append(
        {
            "id": "CVE-2013-1944",
            "component": "pkg:opkg/openwrt/curl@7.29.0-1",
            "severity": "medium",
            "kev": False,
        }
    )
    new["target"]["name"] = "next.bin"
    return new


def test_constructed_upgrade_exact(wr703n: dict[str, Any]) -> None:
    old = copy.deepcopy(wr703n)
    old["findings"] = [
        {"check": "credentials.empty-root-password", "verdict": "FAIL"},
        {"check": "services.telnet", "verdict": "FAIL"},
    ]
    old["verdicts"] = [{"norm": "etsi-en-303-645", "requirement": "5.1-1", "verdict": "FAIL"}]
    new = _upgraded(old)
    new["findings"] = [
        {"check": "credentials.empty-root-password", "verdict": "PASS"},
        {"check": "services.telnet", "verdict": "FAIL"},
        {"check": "update.signed", "verdict": "INCONCLUSIVE"},
    ]
    new["verdicts"] = [{"norm": "etsi-en-303-645", "requirement": "5.1-1", "verdict": "PASS"}]
    diff = diff_assessments(old, new)
    got = {(c.name, c.change, c.old_version, c.new_version) for c in diff.components}
    assert got == {
        ("dropbear", "upgraded", "2011.54-2", "2012.55-1"),
        ("busybox", "upgraded", "1.19.4-6", "1.19.4-7"),
        ("dnsmasq", "downgraded", "2.62-2", "2.62-1"),
        ("ppp", "removed", "2.4.5-8", ""),
        ("curl", "added", "", "7.29.0-1"),
    }
    assert [(v.id, v.component, v.change, v.version) for v in diff.fixed()] == [
        ("CVE-2012-0920", "dropbear", "fixed", "2011.54-2")
    ]
    assert [(v.id, v.component, v.change) for v in diff.introduced()] == [
        ("CVE-2013-1944", "curl", "introduced")
    ]
    assert diff.still_open == ("CVE-2013-2094", "CVE-2014-3153", "CVE-2016-5195")
    assert [f.to_dict() for f in diff.findings] == [
        {"key": "credentials.empty-root-password", "old": "FAIL", "new": "PASS"},
        {"key": "update.signed", "old": "", "new": "INCONCLUSIVE"},
    ]
    assert [v.to_dict() for v in diff.verdicts] == [
        {"key": "etsi-en-303-645 5.1-1", "old": "FAIL", "new": "PASS"}
    ]
    summary = diff.to_dict()["summary"]
    assert summary == {
        "added": 1,
        "removed": 1,
        "upgraded": 2,
        "downgraded": 1,
        "changed": 0,
        "fixed": 1,
        "introduced": 1,
    }
