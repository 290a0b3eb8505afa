"""The norms catalogue: complete, validated at load time, guidance everywhere, crosswalk sound."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from assay.checks import builtin_checks
from assay.norms.catalog import build_catalog, load_catalog, referenced
from assay.norms.expr import NormsDataError

# EN 303 645 V2.1.1 Annex B: every provision of clauses 4, 5 and 6 (68), plus V3.1.3-only ones.
EN_V2 = (
    ["4-1"]
    + [f"5.1-{i}" for i in range(1, 6)]
    + [f"5.2-{i}" for i in range(1, 4)]
    + [f"5.3-{i}" for i in range(1, 17)]
    + [f"5.4-{i}" for i in range(1, 5)]
    + [f"5.5-{i}" for i in range(1, 9)]
    + [f"5.6-{i}" for i in range(1, 10)]
    + [f"5.7-{i}" for i in range(1, 3)]
    + [f"5.8-{i}" for i in range(1, 4)]
    + [f"5.9-{i}" for i in range(1, 4)]
    + ["5.10-1"]
    + [f"5.11-{i}" for i in range(1, 5)]
    + [f"5.12-{i}" for i in range(1, 4)]
    + ["5.13-1"]
    + [f"6-{i}" for i in range(1, 6)]
)
EN_V3_ONLY = ["5.1-2A", "6-6", "6-7", "6-8"]
CRA = ["I(1)"] + [f"I(2)({c})" for c in "abcdefghijklm"] + [f"II({i})" for i in range(1, 9)]


def test_en303645_has_every_provision_of_clauses_4_to_6() -> None:
    assert len(EN_V2) == 68
    ids = [r.id for r in load_catalog().requirements("en303645")]
    assert sorted(ids) == sorted(EN_V2 + EN_V3_ONLY)


def test_en303645_statuses_of_both_versions_are_recorded() -> None:
    catalog = load_catalog()
    for req in catalog.requirements("en303645"):
        assert req.v2_status and req.v3_status, req.uid
    assert catalog.get("en303645:5.1-1").v2_status == "M C(1)"
    assert catalog.get("en303645:5.1-1").v3_status == "MF(a)"
    assert catalog.get("en303645:5.3-10").v2_status == "M C(11,12)"
    assert catalog.get("en303645:5.2-2").status == "recommended"
    assert catalog.get("en303645:4-1").v3_ids == ("5.0-1",)
    assert catalog.get("en303645:5.6-4").v3_ids == ("5.6-4A", "5.6-4B")
    conditional = [r for r in catalog.requirements("en303645") if " C(" in r.v2_status]
    assert conditional and all(r.status == "conditional" and r.strength for r in conditional)


def test_cra_psti_and_nist_are_complete() -> None:
    catalog = load_catalog()
    assert [r.id for r in catalog.requirements("cra")] == CRA
    assert [r.id for r in catalog.requirements("psti")] == ["1", "2", "3"]
    assert [r.id for r in catalog.requirements("nistir8425")] == [str(i) for i in range(1, 11)]
    assert [n.key for n in catalog.norms] == ["en303645", "cra", "psti", "nistir8425"]


def test_every_requirement_has_guidance_summary_and_a_verification_method() -> None:
    for req in load_catalog().requirements():
        assert len(req.guidance) >= 40, f"{req.uid} has no real guidance"
        assert len(req.summary) >= 20, f"{req.uid} has no summary"
        assert req.verify, req.uid


def test_crosswalk_links_psti_to_its_en303645_route() -> None:
    catalog = load_catalog()
    assert "psti:1" in catalog.related("en303645:5.1-1")
    assert "psti:2" in catalog.related("en303645:5.2-1")
    assert "psti:3" in catalog.related("en303645:5.3-13")
    assert "en303645:5.1-1" in catalog.related("psti:1")  # edges read both ways


def test_every_referenced_check_exists() -> None:
    known = {c.id for c in builtin_checks()}
    used = referenced(load_catalog(), "check")
    assert used <= known, sorted(used - known)
    assert {"credentials.empty-password", "services.telnet", "updates.signature"} <= used


# -- load-time validation --------------------------------------------------------------------


def _minimal() -> dict[str, Any]:
    return {
        "norm": "t",
        "name": "Test norm",
        "version": "1",
        "url": "https://example.org",
        "requirements": [
            {
                "id": "1",
                "title": "One",
                "summary": "A requirement for the tests.",
                "status": "mandatory",
                "verify": ["firmware"],
                "decided_by": {"check": "x.y"},
                "guidance": "Do the thing.",
            }
        ],
    }


def _broken(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(_minimal())
    doc["requirements"][0].update(changes)
    return doc


def test_minimal_catalogue_loads() -> None:
    assert build_catalog([("t.yaml", _minimal())]).get("t:1").title == "One"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"decided_by": {"all_of": []}}, "empty combinator"),
        ({"decided_by": {"any_of": []}}, "empty combinator"),
        ({"decided_by": {"check": "a", "lab": "b"}}, "exactly one key"),
        ({"decided_by": {"wish": "it passes"}}, "unknown node kind"),
        ({"decided_by": {"vulns": "none-at-all"}}, "vulns must be one of"),
        ({"guidance": "   "}, "guidance must be a non-empty string"),
        ({"status": "optional"}, "status must be one of"),
        ({"verify": ["magic"]}, "verify must be"),
        ({"maps_to": ["t:99"]}, "unknown requirement"),
        ({"decided_by": {"requirement": "t:2"}}, "names no requirement"),
        ({"colour": "red"}, "unknown fields"),
    ],
)
def test_bad_data_is_refused_at_load_time(change: dict[str, Any], message: str) -> None:
    with pytest.raises(NormsDataError, match=message):
        build_catalog([("t.yaml", _broken(**change))])


def test_missing_guidance_is_refused() -> None:
    doc = _minimal()
    del doc["requirements"][0]["guidance"]
    with pytest.raises(NormsDataError, match="missing fields"):
        build_catalog([("t.yaml", doc)])


def test_requirement_cycles_are_refused() -> None:
    doc = _minimal()
    second = copy.deepcopy(doc["requirements"][0])
    second.update(id="2", decided_by={"requirement": "t:1"})
    doc["requirements"][0]["decided_by"] = {"requirement": "t:2"}
    doc["requirements"].append(second)
    with pytest.raises(NormsDataError, match="cycle"):
        build_catalog([("t.yaml", doc)])


def test_duplicate_ids_are_refused() -> None:
    doc = _minimal()
    doc["requirements"].append(copy.deepcopy(doc["requirements"][0]))
    with pytest.raises(NormsDataError, match="duplicate"):
        build_catalog([("t.yaml", doc)])
