"""Evaluation: every requirement gets a verdict, combinators fail closed, real WR703N facts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from assay.checks import run_checks
from assay.declaration import load
from assay.extract.rootfs import RootFS
from assay.model.assessment import Assessment, Target
from assay.model.check import Evidence, Finding, RequirementVerdict, Verdict
from assay.model.component import Component
from assay.model.vulnerability import VulnerabilityMatch
from assay.norms import evaluate, load_catalog
from assay.norms.catalog import Catalog, build_catalog

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "data" / "declarations" / "openwrt-wr703n.sample.yaml"
TODAY = dt.date(2026, 11, 27)


def _assessment(**kw: Any) -> Assessment:
    return Assessment(Target("image.bin", "image"), "test", "2026-11-27T00:00:00Z", **kw)


def _by_uid(verdicts: list[RequirementVerdict]) -> dict[str, RequirementVerdict]:
    return {f"{v.norm}:{v.requirement}": v for v in verdicts}


@pytest.fixture(scope="module")
def wr703n_findings(wr703n_rootfs: RootFS) -> list[Finding]:
    return run_checks([wr703n_rootfs], _assessment())


# -- completeness ----------------------------------------------------------------------------


def _assert_complete(verdicts: list[RequirementVerdict]) -> None:
    uids = [f"{v.norm}:{v.requirement}" for v in verdicts]
    expected = [r.uid for r in load_catalog().requirements()]
    assert uids == expected  # every requirement, once, none silently missing
    for v in verdicts:
        assert v.reason, f"{v.norm}:{v.requirement} has no reason"
        if v.verdict in (Verdict.NEEDS_DECLARATION, Verdict.NEEDS_LAB):
            assert v.missing, f"{v.norm}:{v.requirement} does not say what is missing"


def test_with_no_evidence_at_all_nothing_passes() -> None:
    verdicts = evaluate(_assessment(), today=TODAY)
    _assert_complete(verdicts)
    assert not [v for v in verdicts if v.verdict == Verdict.PASS]
    assert not [v for v in verdicts if v.verdict == Verdict.FAIL]


def test_every_requirement_has_a_verdict_on_the_real_image(
    wr703n_findings: list[Finding],
) -> None:
    _assert_complete(evaluate(_assessment(findings=wr703n_findings), today=TODAY))
    declared = _assessment(findings=wr703n_findings, declaration=load(SAMPLE))
    _assert_complete(evaluate(declared, today=TODAY))


# -- real facts of the WR703N image ----------------------------------------------------------


def test_wr703n_fails_the_password_requirements_with_evidence(
    wr703n_findings: list[Finding],
) -> None:
    v = _by_uid(evaluate(_assessment(findings=wr703n_findings), today=TODAY))
    en = v["en303645:5.1-1"]
    assert en.verdict == Verdict.FAIL
    assert {"check:credentials.empty-password", "check:services.telnet"} <= set(en.evidence)
    for path in ("/etc/shadow", "/etc/init.d/telnet", "/etc/rc.d/S50telnet"):
        assert path in en.reason
    assert v["psti:1"].verdict == Verdict.FAIL
    assert "requirement:en303645:5.1-1" in v["psti:1"].evidence
    assert v["cra:I(2)(d)"].verdict == Verdict.FAIL  # also Dropbear's root password login
    assert "check:services.ssh-root-login" in v["cra:I(2)(d)"].evidence


def test_wr703n_update_and_key_verdicts(wr703n_findings: list[Finding]) -> None:
    v = _by_uid(evaluate(_assessment(findings=wr703n_findings), today=TODAY))
    assert v["en303645:5.3-10"].verdict == Verdict.FAIL  # sysupgrade checks no signature
    assert "sysupgrade" in v["en303645:5.3-10"].reason
    # the empty Dropbear host-key placeholders are not hard-coded keys
    assert v["en303645:5.4-3"].verdict == Verdict.PASS
    assert v["en303645:5.5-7"].verdict == Verdict.FAIL  # web admin over plain HTTP


def test_psti_disclosure_and_support_need_a_declaration_then_are_decided_by_it(
    wr703n_findings: list[Finding],
) -> None:
    bare = _by_uid(evaluate(_assessment(findings=wr703n_findings), today=TODAY))
    assert bare["psti:2"].verdict == Verdict.NEEDS_DECLARATION
    assert bare["psti:3"].verdict == Verdict.NEEDS_DECLARATION
    assert "declaration:support.end_date" in bare["psti:3"].missing

    declaration = load(SAMPLE)
    declared = _assessment(findings=wr703n_findings, declaration=declaration)
    v = _by_uid(evaluate(declared, today=TODAY))
    assert v["psti:2"].verdict == Verdict.PASS
    assert v["psti:3"].verdict == Verdict.FAIL  # the sample's support ended in 2016
    assert "2016-04-30 has passed" in v["psti:3"].reason

    declaration["support"]["end_date"] = "2031-12-31"
    v = _by_uid(evaluate(declared, today=TODAY))
    assert v["psti:3"].verdict == Verdict.PASS
    assert v["en303645:5.3-13"].verdict == Verdict.PASS


def test_statements_decide_and_not_applicable_respects_status(
    wr703n_findings: list[Finding],
) -> None:
    declaration = load(SAMPLE)
    assessment = _assessment(findings=wr703n_findings, declaration=declaration)
    v = _by_uid(evaluate(assessment, today=TODAY))
    assert v["en303645:5.6-3"].verdict == Verdict.FAIL  # the sample states not-met
    assert v["en303645:5.8-3"].verdict == Verdict.PASS  # sensors: [] documents "none"
    assert v["en303645:5.8-2"].verdict == Verdict.NOT_APPLICABLE  # no special categories
    declaration["statements"]["en303645:4-1"] = {
        "status": "not-applicable",
        "explanation": "we think it does not apply",
    }
    v = _by_uid(evaluate(assessment, today=TODAY))
    assert v["en303645:4-1"].verdict == Verdict.INCONCLUSIVE  # mandatory: N/A not allowed
    assert "is mandatory" in v["en303645:4-1"].reason


def test_known_exploited_vulnerabilities_decide_cra_2a() -> None:
    comp = Component("busybox", "1.19.4", purl="pkg:generic/busybox@1.19.4")
    base: dict[str, Any] = {"components": [comp], "facts": {"vulnerability_store": {}}}
    clean = _by_uid(evaluate(_assessment(**base), today=TODAY))
    assert clean["cra:I(2)(a)"].verdict == Verdict.PASS

    medium = VulnerabilityMatch("CVE-2000-0001", comp.ref, "medium")
    v = _by_uid(evaluate(_assessment(vulnerabilities=[medium], **base), today=TODAY))
    assert v["cra:I(2)(a)"].verdict == Verdict.INCONCLUSIVE  # to be assessed, not a pass

    kev = VulnerabilityMatch("CVE-2000-0002", comp.ref, "medium", kev=True)
    v = _by_uid(evaluate(_assessment(vulnerabilities=[medium, kev], **base), today=TODAY))
    assert v["cra:I(2)(a)"].verdict == Verdict.FAIL
    assert "CVE-2000-0002" in v["cra:I(2)(a)"].evidence
    assert "CISA KEV" in v["cra:I(2)(a)"].reason

    conditional = VulnerabilityMatch("CVE-2000-0003", comp.ref, "high", kev=True, conditional=True)
    v = _by_uid(evaluate(_assessment(vulnerabilities=[conditional], **base), today=TODAY))
    assert v["cra:I(2)(a)"].verdict == Verdict.INCONCLUSIVE

    no_run = _by_uid(evaluate(_assessment(components=[comp]), today=TODAY))
    assert no_run["cra:I(2)(a)"].verdict == Verdict.INCONCLUSIVE
    assert "did not run" in no_run["cra:I(2)(a)"].reason


# -- combinators fail closed (a small catalogue of their own) ---------------------------------


def _catalog(decided_by: Any, status: str = "recommended") -> Catalog:
    req = {
        "id": "1",
        "title": "T",
        "summary": "A requirement for the tests.",
        "status": status,
        "verify": ["firmware"],
        "decided_by": decided_by,
        "guidance": "Do the thing.",
    }
    doc = {"norm": "t", "name": "T", "version": "1", "url": "https://x", "requirements": [req]}
    return build_catalog([("t.yaml", doc)])


def _finding(check: str, verdict: Verdict) -> Finding:
    return Finding(
        check, verdict, "high", summary=f"{check} said {verdict}", evidence=(Evidence("/etc/x"),)
    )


def _verdict(decided_by: Any, *findings: Finding, declaration: Any = None) -> RequirementVerdict:
    assessment = _assessment(findings=list(findings), declaration=declaration)
    return evaluate(assessment, catalog=_catalog(decided_by), today=TODAY)[0]


P, F, N, INC = Verdict.PASS, Verdict.FAIL, Verdict.NOT_APPLICABLE, Verdict.INCONCLUSIVE


@pytest.mark.parametrize(
    ("tree", "findings", "expected"),
    [
        ({"check": "a"}, [], INC),  # no evidence is never a pass
        ({"check": "a"}, [("b", P)], INC),  # another check passing says nothing about a
        ({"check": "a"}, [("a", P)], P),
        ({"check": "a"}, [("a", P), ("a", F)], F),  # one failing sighting fails it
        ({"all_of": [{"check": "a"}, {"check": "b"}]}, [("a", P)], INC),
        ({"all_of": [{"check": "a"}, {"check": "b"}]}, [("a", P), ("b", P)], P),
        ({"all_of": [{"check": "a"}, {"check": "b"}]}, [("a", F)], F),
        ({"all_of": [{"check": "a"}, {"check": "b"}]}, [("a", N), ("b", P)], P),
        ({"all_of": [{"check": "a"}, {"check": "b"}]}, [("a", N), ("b", N)], N),
        ({"all_of": [{"check": "a"}, {"lab": "x"}]}, [("a", P)], Verdict.NEEDS_LAB),
        ({"any_of": [{"check": "a"}, {"check": "b"}]}, [], INC),
        ({"any_of": [{"check": "a"}, {"check": "b"}]}, [("a", F)], INC),  # b may still pass
        ({"any_of": [{"check": "a"}, {"check": "b"}]}, [("a", F), ("b", F)], F),
        ({"any_of": [{"check": "a"}, {"check": "b"}]}, [("a", F), ("b", P)], P),
        ({"any_of": [{"lab": "x"}, {"statement": "self"}]}, [], Verdict.NEEDS_LAB),
        ({"any_of": [{"statement": "self"}, {"lab": "x"}]}, [], Verdict.NEEDS_DECLARATION),
    ],
)
def test_combinators(tree: Any, findings: list[tuple[str, Verdict]], expected: Verdict) -> None:
    assert _verdict(tree, *(_finding(c, v) for c, v in findings)).verdict == expected


@pytest.mark.parametrize(
    ("tree", "declaration", "expected"),
    [
        ({"declared": "a.b"}, None, Verdict.NEEDS_DECLARATION),
        ({"declared": "a.b"}, {"a": {}}, Verdict.NEEDS_DECLARATION),
        ({"declared": "a.b"}, {"a": {"b": ""}}, Verdict.NEEDS_DECLARATION),
        ({"declared": "a.b"}, {"a": {"b": []}}, P),  # "none" is an answer
        ({"declared_any": "a.b"}, {"a": {"b": []}}, F),
        ({"declared_true": "a.b"}, {"a": {"b": False}}, F),
        ({"declared_true": "a.b"}, {"a": {"b": "yes"}}, INC),
        ({"declared_false": "a.b"}, {"a": {"b": False}}, P),
        ({"declared_future_date": "a.b"}, {"a": {"b": "2020-01-01"}}, F),
        ({"declared_future_date": "a.b"}, {"a": {"b": "2030-01-01"}}, P),
        ({"declared_future_date": "a.b"}, {"a": {"b": "soon"}}, INC),
        ({"statement": "self"}, {"statements": {}}, Verdict.NEEDS_DECLARATION),
        ({"statement": "self"}, {"statements": {"t:1": {"status": "met"}}}, P),
        ({"statement": "self"}, {"statements": {"t:1": {"status": "not-met"}}}, F),
        ({"statement": "self"}, {"statements": {"t:1": {"status": "not-applicable"}}}, N),
        ({"security_txt": "valid"}, {}, N),
        ({"security_txt": "valid"}, {"_security_txt": {"problems": ["no Expires"]}}, F),
        ({"vulns": "no-known-exploited"}, {}, INC),
        ({"sbom": "components"}, {}, INC),
        ({"network": "x"}, {}, Verdict.NEEDS_LAB),
    ],
)
def test_leaves(tree: Any, declaration: Any, expected: Verdict) -> None:
    assert _verdict(tree, declaration=declaration).verdict == expected
