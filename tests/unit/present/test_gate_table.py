"""``--fail-on`` rules and the terminal table, on assessments built from real-shaped parts."""

from __future__ import annotations

import pytest

from assay.errors import UsageError
from assay.model.assessment import Assessment, Target
from assay.model.check import Evidence, Finding, RequirementVerdict, Verdict
from assay.model.component import Component
from assay.model.vulnerability import VulnerabilityMatch
from assay.present import gate
from assay.present.table import render

ZLIB = Component("zlib", "1.2.7", purl="pkg:generic/zlib@1.2.7")
KERNEL = Component("linux", "3.3.8", purl="pkg:generic/linux@3.3.8")


def _assessment() -> Assessment:
    return Assessment(
        Target("fw.bin", "image"),
        "test",
        "2026-12-01T00:00:00Z",
        components=[ZLIB, KERNEL],
        vulnerabilities=[
            VulnerabilityMatch("CVE-2022-37434", ZLIB.ref, "critical", 9.8, epss=0.04),
            VulnerabilityMatch("CVE-2016-5195", KERNEL.ref, "high", 7.0, kev=True, epss=0.83),
            VulnerabilityMatch("CVE-2099-0001", KERNEL.ref, "critical", conditional=True, kev=True),
            VulnerabilityMatch("CVE-2012-0001", KERNEL.ref, "low", epss=0.001),
        ],
        findings=[
            Finding(
                "credentials.empty-password",
                Verdict.FAIL,
                "critical",
                title="Accounts without a password",
                evidence=(Evidence("/etc/shadow", 1), Evidence("/etc/passwd", 1)),
            ),
            Finding("services.ftp", Verdict.PASS, "high", title="FTP"),
            Finding("hardening.elf", Verdict.FAIL, "low", title="No mitigations"),
        ],
        verdicts=[
            RequirementVerdict("cra", "I(2)(a)", Verdict.FAIL, "No known exploitable vulns"),
            RequirementVerdict("en303645", "5.1-1", Verdict.PASS, "No universal passwords"),
        ],
    )


def _items(rules: list[str]) -> list[str]:
    return [t.item for t in gate.tripped(_assessment(), gate.parse_rules(rules))]


def test_severity_covers_vulnerabilities_and_failed_checks() -> None:
    assert _items(["high"]) == [
        "CVE-2022-37434 on zlib@1.2.7",
        "CVE-2016-5195 on linux@3.3.8",
        "credentials.empty-password",
    ]
    # a conditional match (platform condition unsettled) never counts
    assert "CVE-2099-0001 on linux@3.3.8" not in _items(["low", "kev"])


def test_kinds_of_rule() -> None:
    assert _items(["check:low"]) == ["credentials.empty-password", "hardening.elf"]
    assert _items(["vuln:critical"]) == ["CVE-2022-37434 on zlib@1.2.7"]
    assert _items(["kev"]) == ["CVE-2016-5195 on linux@3.3.8"]
    assert _items(["epss:0.5"]) == ["CVE-2016-5195 on linux@3.3.8"]
    assert _items(["none"]) == [] and _items([]) == []
    assert _items(["kev,check:critical"]) == [
        "CVE-2016-5195 on linux@3.3.8",
        "credentials.empty-password",
    ]


def test_norm_rule_names_the_failed_mandatory_requirement() -> None:
    trips = gate.tripped(_assessment(), gate.parse_rules(["norm:cra"]))
    assert [t.item for t in trips] == ["cra:I(2)(a)"]
    assert trips[0].line() == (
        "norm cra:I(2)(a): FAIL: No known exploitable vulns (--fail-on norm:cra)"
    )
    assert gate.tripped(_assessment(), gate.parse_rules(["norm:en303645"])) == []


@pytest.mark.parametrize("bad", ["severe", "vuln:", "check:none", "epss:x", "epss:1.5", "norm:"])
def test_bad_rules_are_usage_errors(bad: str) -> None:
    with pytest.raises(UsageError):
        gate.parse_rules([bad])


def test_table_sorts_by_what_matters_and_never_wraps() -> None:
    text = render(_assessment())
    rows = [line.split()[:4] for line in text.splitlines() if "CVE-" in line]
    # counting first; KEV first; then severity; the conditional one last
    assert [r[2] for r in rows] == [
        "CVE-2016-5195",
        "CVE-2022-37434",
        "CVE-2012-0001",
        "CVE-2099-0001",
    ]
    assert "affected (if platform)" in text
    assert "\x1b" not in text
    failed = [line for line in text.splitlines() if line.startswith("credentials.")]
    assert failed == [
        "credentials.empty-password   critical   Accounts without a password   /etc/shadow (+1)"
    ]
    long = _assessment()
    long.components[0] = Component("zlib" + "x" * 200, "1.2.7", purl=ZLIB.purl)
    assert any(len(line) > 200 for line in render(long).splitlines())  # one line, not wrapped


def test_table_colours_only_when_asked() -> None:
    coloured = render(_assessment(), color=True)
    assert "\x1b[" in coloured
    assert "\x1b[" not in render(_assessment(), color=False)
