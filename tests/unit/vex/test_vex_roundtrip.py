"""Export an assessment of the real WR703N image in each format, validate, re-import."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from assay.present.vex import (
    ProductRef,
    Status,
    VexStatement,
    csaf_problems,
    export_csaf,
    export_cyclonedx_vex,
    export_openvex,
    import_vex,
    resolve,
)
from assay.present.vex.schemas import openvex_errors

KERNEL_CPE = "cpe:2.3:o:linux:linux_kernel:3.3.8:*:*:*:*:*:*:*"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
EXPECTED_MATCHES = {
    ("CVE-2012-0920", "dropbear"),
    ("CVE-2013-2094", "linux"),
    ("CVE-2014-3153", "linux"),
    ("CVE-2016-5195", "linux"),
}


def statuses(
    assessment: dict[str, Any], statements: list[VexStatement]
) -> dict[tuple[str, str], str]:
    return {(r.vulnerability, r.component): str(r.status) for r in resolve(assessment, statements)}


def _override(assessment: dict[str, Any]) -> list[VexStatement]:
    """A manufacturer's statements: dropbear's CVE not reachable, one kernel CVE fixed."""
    dropbear = next(c for c in assessment["components"] if c["name"] == "dropbear")
    return [
        VexStatement(
            "CVE-2012-0920",
            ProductRef(dropbear["purl"], "dropbear", dropbear["purl"]),
            Status.NOT_AFFECTED,
            justification="vulnerable_code_not_in_execute_path",
            impact="Command restriction with public-key login is not configured on this device.",
            source="test",
        ),
        VexStatement(
            "CVE-2016-5195",
            ProductRef(KERNEL_CPE, "linux", cpe=KERNEL_CPE),
            Status.UNDER_INVESTIGATION,
            source="test",
        ),
    ]


def test_fixture_is_real(wr703n_assessment: dict[str, Any]) -> None:
    comps = {c["name"]: c["version"] for c in wr703n_assessment["components"]}
    assert comps["dropbear"] == "2011.54-2" and comps["busybox"] == "1.19.4-6"
    assert comps["linux"] == "3.3.8"
    names = {
        (v["id"], v["component"].split("/")[-1].split("@")[0])
        for v in wr703n_assessment["vulnerabilities"]
    }
    assert names == EXPECTED_MATCHES
    kev = {v["id"] for v in wr703n_assessment["vulnerabilities"] if v["kev"]}
    assert kev == {"CVE-2013-2094", "CVE-2014-3153", "CVE-2016-5195"}


@pytest.mark.parametrize("profile", ["csaf_vex", "csaf_security_advisory"])
def test_csaf_export_is_valid_and_reimports(
    wr703n_assessment: dict[str, Any], profile: str
) -> None:
    doc = export_csaf(wr703n_assessment, profile=profile, now=NOW)
    assert csaf_problems(doc) == []
    assert doc["document"]["category"] == profile
    vulns = {v["cve"]: v for v in doc["vulnerabilities"]}
    assert set(vulns) == {cve for cve, _ in EXPECTED_MATCHES}
    # known exploited: an exploit_status threat; every affected product has a remediation
    kernel = vulns["CVE-2014-3153"]
    assert [t["category"] for t in kernel["threats"]] == ["exploit_status"]
    assert kernel["scores"][0]["cvss_v3"]["baseScore"] == 7.8
    assert "Why Assay matched it" in [n["title"] for n in kernel["notes"]]
    back = import_vex(doc)
    assert statuses(wr703n_assessment, back) == statuses(wr703n_assessment, [])
    assert set(statuses(wr703n_assessment, back).values()) == {"affected"}


def test_csaf_vex_keeps_statuses_and_justifications(wr703n_assessment: dict[str, Any]) -> None:
    overrides = _override(wr703n_assessment)
    doc = export_csaf(wr703n_assessment, statements=overrides, now=NOW)
    assert csaf_problems(doc) == []
    back = import_vex(doc)
    got = statuses(wr703n_assessment, back)
    dropbear = next(k for k in got if k[0] == "CVE-2012-0920")
    assert got[dropbear] == "not_affected"
    assert got[next(k for k in got if k[0] == "CVE-2016-5195")] == "under_investigation"
    assert sorted(got.values()).count("affected") == 2
    stmt = next(s for s in back if s.vulnerability == "CVE-2012-0920")
    assert stmt.justification == "vulnerable_code_not_in_execute_path"
    assert stmt.impact.startswith("Command restriction")
    # the CSAF flag carries the justification, the impact threat carries the text
    vuln = next(v for v in doc["vulnerabilities"] if v["cve"] == "CVE-2012-0920")
    assert vuln["flags"][0]["label"] == "vulnerable_code_not_in_execute_path"
    assert vuln["product_status"] == {"known_not_affected": [vuln["flags"][0]["product_ids"][0]]}


def test_openvex_export_validates_and_reimports(wr703n_assessment: dict[str, Any]) -> None:
    overrides = _override(wr703n_assessment)
    doc = export_openvex(wr703n_assessment, statements=overrides, now=NOW)
    assert openvex_errors(doc) == []
    assert len(doc["statements"]) == 4
    expected = statuses(wr703n_assessment, overrides)
    back = import_vex(doc)
    assert statuses(wr703n_assessment, back) == expected
    not_affected = next(s for s in back if s.status is Status.NOT_AFFECTED)
    assert not_affected.justification == "vulnerable_code_not_in_execute_path"
    assert not_affected.product.parent.startswith("pkg:generic/TP-Link/TL-WR703N@")


def test_cyclonedx_export_validates_and_reimports(wr703n_assessment: dict[str, Any]) -> None:
    overrides = _override(wr703n_assessment)
    doc = export_cyclonedx_vex(wr703n_assessment, statements=overrides, now=NOW)
    assert doc["specVersion"] == "1.6"
    assert doc["metadata"]["component"]["type"] == "firmware"
    states = sorted(v["analysis"]["state"] for v in doc["vulnerabilities"])
    assert states == ["exploitable", "exploitable", "in_triage", "not_affected"]
    back = import_vex(doc)  # validated again by the CycloneDX strict validator
    assert statuses(wr703n_assessment, back) == statuses(wr703n_assessment, overrides)
    not_affected = next(s for s in back if s.status is Status.NOT_AFFECTED)
    assert not_affected.original_justification == "code_not_reachable"
    assert not_affected.justification == "vulnerable_code_not_in_execute_path"


def test_statements_travel_between_formats(wr703n_assessment: dict[str, Any]) -> None:
    """CSAF -> statements -> OpenVEX -> statements -> CycloneDX -> statements: same statuses."""
    overrides = _override(wr703n_assessment)
    expected = statuses(wr703n_assessment, overrides)
    s1 = import_vex(export_csaf(wr703n_assessment, statements=overrides, now=NOW))
    s2 = import_vex(export_openvex(wr703n_assessment, statements=s1, now=NOW))
    s3 = import_vex(export_cyclonedx_vex(wr703n_assessment, statements=s2, now=NOW))
    for stmts in (s1, s2, s3):
        assert statuses(wr703n_assessment, stmts) == expected


def test_firmware_wide_statement_covers_every_component(fresh: dict[str, Any]) -> None:
    doc = export_openvex(fresh, now=NOW)
    firmware = doc["statements"][0]["products"][0]["@id"]
    statement = VexStatement(
        "CVE-2014-3153",
        ProductRef(firmware, "the firmware"),
        Status.FIXED,
        action="Kernel patched in-tree.",
        source="test",
    )
    got = statuses(fresh, [statement])
    assert [v for (cve, _), v in got.items() if cve == "CVE-2014-3153"] == ["fixed"]
    # a statement about another product does not touch this one
    other = VexStatement("CVE-2014-3153", ProductRef("pkg:generic/other/thing@1"), Status.FIXED)
    assert "fixed" not in statuses(fresh, [other]).values()


@pytest.mark.slow
def test_csaf_vex_of_a_real_scan(tmp_path: Path) -> None:
    """The real pipeline's assessment of the bundled image: export, validate, re-import."""
    from assay.pipeline import ScanOptions, assess

    image = Path(__file__).resolve().parents[3] / "data/firmware"
    image = image / "openwrt-12.09-tl-wr703n-v1-squashfs-factory.bin.xz"
    doc = assess(image, ScanOptions(work_dir=tmp_path)).assessment.to_dict()
    assert len(doc["vulnerabilities"]) > 100  # how many depends on the store in use
    csaf = export_csaf(doc, now=NOW)  # validated inside; checked again here
    assert csaf_problems(csaf) == []
    expected = statuses(doc, [])
    assert statuses(doc, import_vex(csaf)) == expected
    assert statuses(doc, import_vex(export_openvex(doc, now=NOW))) == expected


def test_cyclonedx_vex_keeps_ratings_of_components_without_purl(
    wr703n_assessment: dict[str, Any],
) -> None:
    """A component known only by name and version (no PURL) is exported under a pkg:generic
    IRI; its matches must still be found, with their CVSS ratings and descriptions."""
    import copy

    doc = copy.deepcopy(wr703n_assessment)
    match = next(v for v in doc["vulnerabilities"] if v.get("cvss_score") is not None)
    comp = next(c for c in doc["components"] if (c.get("purl") or "") == match["component"])
    ref = f"{comp['name']}@{comp['version']}"
    comp["purl"] = ""
    for v in doc["vulnerabilities"]:
        if v["component"] == match["component"]:
            v["component"] = ref
    out = export_cyclonedx_vex(doc)
    entry = next(v for v in out["vulnerabilities"] if v["id"] == match["id"])
    assert entry["affects"][0]["ref"].startswith("pkg:generic/")
    assert entry["ratings"][0]["score"] == match["cvss_score"]
