"""Scan-time suppression: real VEX documents of each format and ignore files applied to
assessments built from the products those documents describe."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from assay.errors import InputError
from assay.model.assessment import Assessment, Target
from assay.model.component import Component
from assay.model.vulnerability import VulnerabilityMatch
from assay.present import gate
from assay.present.cyclonedx import render
from assay.present.suppression import Suppression, load_ignore
from assay.vulns.counts import applies, counts, why_not

DATABIND = Component(
    "jackson-databind",
    "2.10.0",
    purl="pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar",
)
CORE = Component(
    "jackson-core",
    "2.10.0",
    purl="pkg:maven/com.fasterxml.jackson.core/jackson-core@2.10.0?type=jar",
)
LOG4J = Component(
    "log4j-core", "2.14.1", purl="pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
)
GIT = Component("git", "2.39.0-r1", purl="pkg:apk/distro/git@2.39.0-r1?arch=armv7")
TODAY = dt.date(2026, 12, 7)


def _assessment(
    *matches: VulnerabilityMatch, declaration: dict[str, object] | None = None
) -> Assessment:
    return Assessment(
        Target("fw.bin", "image"),
        "test",
        "2026-12-07T00:00:00Z",
        components=[DATABIND, CORE, LOG4J, GIT],
        vulnerabilities=list(matches),
        declaration=declaration,
    )


def _by_id(assessment: Assessment) -> dict[str, VulnerabilityMatch]:
    return {f"{m.id} {m.component}": m for m in assessment.vulnerabilities}


def test_cyclonedx_vex_suppresses_its_component_with_the_justification(shared_data: Path) -> None:
    """The CycloneDX example VEX says CVE-2020-25649 does not affect jackson-databind 2.10.0
    (code not reachable): that match is suppressed, the same CVE on jackson-core is not."""
    vex = shared_data / "sbom/cyclonedx-bom-examples/VEX/vex.json"
    assessment = _assessment(
        VulnerabilityMatch("CVE-2020-25649", DATABIND.ref, "high", 7.5),
        VulnerabilityMatch("CVE-2020-25649", CORE.ref, "high", 7.5),
    )
    facts = Suppression.load([vex]).apply(assessment, TODAY)
    databind, core = assessment.vulnerabilities
    assert databind.suppressed["by"] == "vex"
    assert databind.suppressed["status"] == "not_affected"
    assert databind.suppressed["justification"] == "vulnerable_code_not_in_execute_path"
    assert databind.suppressed["original_justification"] == "code_not_reachable"
    assert "dataflow analysis" in databind.suppressed["reason"]
    assert databind.suppressed["source"] == "cyclonedx:vex.json"
    assert not counts(databind) and not applies(databind)
    assert "vulnerable_code_not_in_execute_path" in why_not(databind)
    assert not core.suppressed and counts(core)
    assert facts["suppressed_by_vex"] == 1 and facts["statements"] == 1
    assert assessment.facts["suppression"] is facts
    assert databind.to_dict()["suppressed"] == databind.suppressed
    assert "suppressed" not in core.to_dict()  # unsuppressed matches keep their old shape


def test_csaf_vex_about_the_whole_firmware(shared_data: Path) -> None:
    """The OASIS CSAF VEX example: product "Example Company ABC 4.2" not affected by
    CVE-2021-44228. It covers every component of that firmware, and no other firmware."""
    vex = (
        shared_data
        / "csaf/oasis-csaf-examples/csaf_2.0/examples/csaf/csaf_vex/2022-evd-uc-01-na-001.json"
    )
    declaration = {
        "manufacturer": {"name": "Example Company"},
        "product": {"model": "ABC", "firmware_version": "4.2"},
    }
    match = VulnerabilityMatch("CVE-2021-44228", LOG4J.ref, "critical", 10.0, kev=True)
    ours = _assessment(match, declaration=declaration)
    Suppression.load([vex]).apply(ours, TODAY)
    (suppressed,) = ours.vulnerabilities
    assert suppressed.suppressed["source"] == "csaf:2022-EVD-UC-01-NA-001"
    assert (
        suppressed.suppressed["reason"] == "Class with vulnerable code was removed before shipping."
    )
    assert not gate.tripped(ours, gate.parse_rules(["kev"]))

    other = _assessment(match, declaration={**declaration, "product": {"model": "XYZ"}})
    Suppression.load([vex]).apply(other, TODAY)
    assert not other.vulnerabilities[0].suppressed
    assert [t.item for t in gate.tripped(other, gate.parse_rules(["kev"]))] == [
        "CVE-2021-44228 on log4j-core@2.14.1"
    ]


def test_openvex_fixed_is_resolved_in_cyclonedx(shared_data: Path) -> None:
    vex = shared_data / "vex/openvex-vexctl/examples/openvex/demo.vex.json"
    assessment = _assessment(VulnerabilityMatch("CVE-2014-123456", GIT.ref, "medium"))
    Suppression.load([vex]).apply(assessment, TODAY)
    assert assessment.vulnerabilities[0].suppressed["status"] == "fixed"
    bom = json.loads(render(assessment))
    (vuln,) = bom["vulnerabilities"]
    assert vuln["analysis"]["state"] == "resolved"
    assert {"name": "assay:suppressed", "value": "vex"} in vuln["properties"]


def test_an_affected_statement_suppresses_nothing(tmp_path: Path) -> None:
    vex = tmp_path / "affected.json"
    vex.write_text(
        json.dumps(
            {
                "@context": "https://openvex.dev/ns/v0.2.0",
                "@id": "https://assay.example/vex/affected",
                "author": "tests",
                "timestamp": "2026-12-07T00:00:00Z",
                "version": 1,
                "statements": [
                    {
                        "vulnerability": {"name": "CVE-2020-25649"},
                        "products": [{"@id": DATABIND.purl}],
                        "status": "affected",
                        "action_statement": "Upgrade.",
                    }
                ],
            }
        )
    )
    assessment = _assessment(VulnerabilityMatch("CVE-2020-25649", DATABIND.ref, "high"))
    facts = Suppression.load([vex]).apply(assessment, TODAY)
    assert not assessment.vulnerabilities[0].suppressed and facts["suppressed_by_vex"] == 0


def _ignore(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".assay-ignore.yaml"
    path.write_text(text)
    return path


def test_ignore_entries_by_name_purl_and_date(tmp_path: Path) -> None:
    path = _ignore(
        tmp_path,
        """\
- id: CVE-2020-25649
  component: jackson-databind
  reason: only used to write JSON, never to read XML
- id: cve-2021-44228
  component: pkg:maven/org.apache.logging.log4j/log4j-core
  reason: JNDI lookups removed
  expires: 2027-01-31
- id: CVE-2014-123456
  reason: accepted until the next release
  expires: 2026-12-01
- id: CVE-2000-0001
  reason: nothing has it
""",
    )
    assessment = _assessment(
        VulnerabilityMatch("CVE-2020-25649", DATABIND.ref, "high"),
        VulnerabilityMatch("CVE-2020-25649", CORE.ref, "high"),
        VulnerabilityMatch("CVE-2021-44228", LOG4J.ref, "critical", kev=True),
        VulnerabilityMatch("CVE-2014-123456", GIT.ref, "medium"),
    )
    facts = Suppression.load(ignore=path).apply(assessment, TODAY)
    databind, core, log4j, git = assessment.vulnerabilities
    assert databind.suppressed == {
        "by": "ignore",
        "status": "ignored",
        "reason": "only used to write JSON, never to read XML",
        "source": ".assay-ignore.yaml",
    }
    assert why_not(databind) == (
        "ignored (.assay-ignore.yaml): only used to write JSON, never to read XML"
    )
    assert not core.suppressed  # the entry names another component
    assert log4j.suppressed["expires"] == "2027-01-31"  # a PURL without version: any version
    assert not git.suppressed and counts(git)  # expired on 2026-12-01: counts again
    assert facts["expired_entries"] == ["CVE-2014-123456"]
    assert facts["unused_entries"] == ["CVE-2000-0001"]
    (problem,) = assessment.problems
    assert "expired on 2026-12-01" in problem.message and problem.path == ".assay-ignore.yaml"


def test_vex_comes_before_the_ignore_file(shared_data: Path, tmp_path: Path) -> None:
    vex = shared_data / "sbom/cyclonedx-bom-examples/VEX/vex.json"
    path = _ignore(tmp_path, "ignore:\n  - {id: CVE-2020-25649, reason: test}\n")
    assessment = _assessment(VulnerabilityMatch("CVE-2020-25649", DATABIND.ref, "high"))
    facts = Suppression.load([vex], path).apply(assessment, TODAY)
    assert assessment.vulnerabilities[0].suppressed["by"] == "vex"
    assert facts["unused_entries"] == ["CVE-2020-25649"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- {id: CVE-2020-1, reason: x, until: 2027-01-01}", "entry 1: unknown key 'until'"),
        ("- {id: CVE-2020-1}", "entry 1 (CVE-2020-1): no reason"),
        ("- {reason: because}", "entry 1: no id"),
        ("- {id: CVE-2020-1, reason: '  '}", "entry 1: reason must be non-empty text"),
        ("- {id: CVE-2020-1, reason: x, expires: soon}", "expires 'soon' is not a date"),
        ("id: CVE-2020-1", "expected a list of entries"),
        ("- just text", "entry 1: expected a mapping"),
        ("- [unclosed", "is not valid YAML"),
    ],
)
def test_bad_ignore_file_is_one_line_naming_the_entry(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(InputError) as err:
        load_ignore(_ignore(tmp_path, text))
    assert message in err.value.message and "\n" not in err.value.diagnostics()
    assert err.value.message.startswith("ignore file .assay-ignore.yaml")


def test_a_missing_vex_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        Suppression.load([tmp_path / "nope.json"])


def test_vex_exports_keep_the_statement_applied_at_scan_time(shared_data: Path) -> None:
    """``assay vex export`` of a scan made with --vex: the suppressed match is exported with
    the statement it was given (an ignored one stays affected: a local decision)."""
    from assay.present.native import document
    from assay.present.vex import export_openvex

    vex = shared_data / "sbom/cyclonedx-bom-examples/VEX/vex.json"
    assessment = _assessment(
        VulnerabilityMatch("CVE-2020-25649", DATABIND.ref, "high"),
        VulnerabilityMatch("CVE-2021-44228", LOG4J.ref, "critical"),
    )
    Suppression.load([vex]).apply(assessment, TODAY)
    ignored = {"by": "ignore", "status": "ignored", "reason": "test"}
    assessment.vulnerabilities[1] = VulnerabilityMatch(
        "CVE-2021-44228", LOG4J.ref, "critical", suppressed=ignored
    )
    statements = export_openvex(document(assessment))["statements"]
    by_id = {s["vulnerability"]["name"]: s for s in statements}
    assert by_id["CVE-2020-25649"]["status"] == "not_affected"
    assert by_id["CVE-2020-25649"]["justification"] == "vulnerable_code_not_in_execute_path"
    assert "dataflow analysis" in by_id["CVE-2020-25649"]["impact_statement"]
    assert by_id["CVE-2021-44228"]["status"] == "affected"
