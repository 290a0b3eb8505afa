"""Real documents import: CISA's CSAF advisories, the OASIS examples and validator test data,
OpenVEX examples from vexctl, CycloneDX VEX examples."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from realdata import cisa_advisories

from assay.present.vex import Status, csaf_problems, import_vex, load_vex
from assay.present.vex.csaf_validate import MANDATORY_TESTS, mandatory_failures
from assay.present.vex.schemas import csaf_validator, schema_errors

CISA = "csaf/cisa-csaf"
OASIS = "csaf/oasis-csaf-examples"
TC_DATA = "csaf_2.0/test/validator/data/"


def test_cisa_sample_imports(shared_data: Path) -> None:
    files = sorted((shared_data / CISA / "sample").glob("icsa-*.json"))
    assert len(files) == 20
    total = 0
    for path in files:
        statements = load_vex(path)
        assert statements, path.name
        total += len(statements)
    one = load_vex(shared_data / CISA / "sample" / "icsa-24-291-01.json")
    assert {s.source for s in one} == {"csaf:ICSA-24-291-01"}
    assert total > 100


@pytest.mark.slow
def test_every_cisa_advisory_imports(shared_data: Path) -> None:
    count = statements = 0
    for _name, doc in cisa_advisories(shared_data):
        statements += len(import_vex(doc))
        count += 1
    assert count == 2383
    assert statements > 10_000


def test_oasis_examples_import(shared_data: Path) -> None:
    base = shared_data / OASIS / "csaf_2.0" / "examples" / "csaf"
    files = sorted(base.rglob("*.json"))
    assert len(files) == 19
    by_name = {p.name: load_vex(p) for p in files}
    sec = by_name["sec-vex-2022-0001.json"]
    not_affected = [s for s in sec if s.status is Status.NOT_AFFECTED]
    assert not_affected and not_affected[0].justification == "component_not_present"
    assert "No Java" in not_affected[0].impact
    ui = by_name["2022-evd-uc-01-ui-001.json"]
    assert [s.status for s in ui] == [Status.UNDER_INVESTIGATION]
    rhsa = by_name["rhsa-2022_0011.json"]
    assert any(s.product.parent.startswith("cpe:/o:redhat:") for s in rhsa)


def _tc_cases(shared_data: Path, tmp: Path) -> list[tuple[str, str, dict[str, Any]]]:
    with tarfile.open(shared_data / OASIS / "csaf_2.0-validator-testdata.tar.xz") as tar:
        tar.extractall(tmp, filter="data")
    index = json.loads((tmp / TC_DATA / "testcases.json").read_text())
    cases = []
    for test in index["tests"]:
        if test["group"] != "mandatory":
            continue
        for kind in ("failures", "valid"):
            for item in test.get(kind, []):
                doc = json.loads((tmp / TC_DATA / item["name"]).read_text())
                cases.append((test["id"], kind, doc))
    return cases


def test_mandatory_tests_agree_with_the_oasis_test_data(shared_data: Path, tmp_path: Path) -> None:
    cases = _tc_cases(shared_data, tmp_path)
    assert len(cases) > 140
    checked = set()
    for test_id, kind, doc in cases:
        checked.add(test_id)
        schema = schema_errors(csaf_validator(), doc)
        failed = {f.test for f in mandatory_failures(doc)}
        if kind == "failures":
            assert test_id in failed or (test_id == "6.1.8" and schema), (test_id, doc)
        else:
            assert not schema and not failed, (test_id, schema, failed)
    assert len(checked) == 43  # every mandatory test of CSAF 2.0
    assert len(MANDATORY_TESTS) >= 20


def test_openvex_examples_import(shared_data: Path) -> None:
    base = shared_data / "vex" / "openvex-vexctl"
    files = [p for p in sorted(base.rglob("*.json")) if "statements" in p.read_text()]
    assert len(files) == 14
    got = {p.name: load_vex(p) for p in files}
    oci = got["oci-vexctl.openvex.json"]
    assert [(s.status, s.justification) for s in oci] == [
        (Status.NOT_AFFECTED, "vulnerable_code_not_present")
    ]
    legacy = got["v001-2.vex.json"]  # OpenVEX v0.0.1: products are plain strings
    assert legacy[0].product.purl == "pkg:apk/wolfi/bash@1.0.0"
    assert legacy[0].status is Status.FIXED
    # vexctl's CSAF example (a CSAF VEX with a purl helper) is read too
    csaf = load_vex(base / "examples" / "csaf" / "csaf.json")
    assert [(s.vulnerability, s.status, s.product.purl) for s in csaf] == [
        ("CVE-2009-4487", Status.NOT_AFFECTED, "pkg:generic/component1@1.3.4")
    ]


def test_cyclonedx_examples_import(shared_data: Path) -> None:
    base = shared_data / "sbom" / "cyclonedx-bom-examples" / "VEX"
    case1 = base / "CISA-Use-Cases" / "Case-1"
    states = {p.stem: [s.status for s in load_vex(p)] for p in sorted(case1.glob("*.json"))}
    assert states == {
        "vex-affected": [Status.AFFECTED],
        "vex-fixed": [Status.FIXED],
        "vex-not_affected": [Status.NOT_AFFECTED],
        "vex-under_investigation": [Status.UNDER_INVESTIGATION],
    }
    top = load_vex(base / "vex.json")
    assert top[0].product.purl.startswith("pkg:maven/com.fasterxml.jackson.core/jackson-databind")
    assert top[0].original_justification == "code_not_reachable"
    assert top[0].aliases == ("SNYK-JAVA-COMFASTERXMLJACKSONCORE-1048302",)
    for path in base.rglob("vex*.json"):
        load_vex(path)  # every example validates and imports


def test_csaf_problems_empty_for_real_advisory(shared_data: Path) -> None:
    doc = json.loads((shared_data / CISA / "sample" / "icsa-24-291-01.json").read_text())
    assert csaf_problems(doc) == []
