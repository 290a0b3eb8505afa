"""The hand-checked small building (tests/data/environments/small-building.yaml).

What a person finds by drawing it: gateway A alone connects both lobby cameras and, through
camera 2, both door readers; camera 2 alone connects the readers; gateway B alone connects the
HVAC controller; the light is dual-homed (Wi-Fi to both gateways); the two uplinks and the
gateway pair form a ring, so neither uplink nor the gateway link is a single point of failure.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from assay.environment import Scenario, analyze, load, what_if
from assay.environment.actions import rank
from assay.errors import UsageError

ROOT = Path(__file__).resolve().parents[3]
SMALL = ROOT / "tests" / "data" / "environments" / "small-building.yaml"
TODAY = dt.date(2026, 12, 7)


@pytest.fixture(scope="module")
def building(wr703n_scan: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The YAML beside a real assessment of the bundled image (the two cameras run it)."""
    folder = tmp_path_factory.mktemp("building")
    shutil.copy(wr703n_scan / "assessment.json", folder / "wr703n-assessment.json")
    shutil.copy(SMALL, folder / "env.yaml")
    return folder / "env.yaml"


@pytest.fixture(scope="module")
def result(building: Path) -> dict[str, Any]:
    return analyze(load(building), TODAY)


def test_single_points_of_failure_are_the_ones_a_person_finds(result: dict[str, Any]) -> None:
    spofs = {s["vertex"]: s for s in result["single_points_of_failure"]}
    assert set(spofs) == {"gw-a", "cam-2", "gw-b"}
    assert spofs["gw-a"]["cuts_off"]["devices"] == 4
    assert spofs["gw-a"]["cuts_off"]["weight"] == 2 + 2 + 8 + 8
    assert spofs["cam-2"]["cuts_off"]["functions"] == {
        "access": {"devices": 2, "criticality": "critical"}
    }
    assert spofs["gw-b"]["cuts_off"]["examples"] == ["hvac-1"]
    # ranked by what they cut off: gateway A (20), camera 2 (16), gateway B (4)
    assert [s["vertex"] for s in result["single_points_of_failure"]] == ["gw-a", "cam-2", "gw-b"]
    # links that strand more than their own end device: only camera 2's cable
    assert [b["link"] for b in result["bridges"]] == [["cam-2", "gw-a"]]
    assert result["bridges"][0]["cuts_off"]["devices"] == 3
    assert sorted(result["structure"]["bridges"]) == [
        ["cam-1", "gw-a"],
        ["cam-2", "gw-a"],
        ["cam-2", "reader-1"],
        ["cam-2", "reader-2"],
        ["gw-a", "isp-1"],
        ["gw-b", "hvac-1"],
        ["gw-b", "isp-2"],
    ]  # structurally, uplinks aside, each uplink's own link is a bridge too


def test_routing_diversity_per_zone(result: dict[str, Any]) -> None:
    div = result["routing_diversity"]
    assert div["single_homed_devices"] == 5  # all but the dual-homed light
    assert div["zones"]["lobby"]["disjoint_routes"] == 1
    assert div["zones"]["floor1"]["disjoint_routes"] == 2  # readers via gw-a, light via gw-b
    assert div["zones"]["basement"]["disjoint_routes"] == 1


def test_concentration_and_support(result: dict[str, Any]) -> None:
    vendors = result["concentration"]["vendors"]
    assert vendors["hhi"] == round(10 / 36, 4)  # 2, 2, 1, 1 of six devices
    assert {t["name"] for t in vendors["top"][:2]} == {"TP-Link", "Acme Doors"}
    support = result["support_horizon"]
    # the readers ended in 2020 and the cameras' declaration says 2016-04-30
    assert support["past_support"] == {"floor1": 2, "lobby": 2}
    assert support["ending_soon"] == {"floor1": 1}  # the light, 2027-03-01


def test_blast_radius_of_a_known_exploited_vulnerability(
    result: dict[str, Any], building: Path
) -> None:
    kev_rows = [b for b in result["blast_radius"] if b.get("kev")]
    assert kev_rows, "the bundled image carries known exploited kernel vulnerabilities"
    row = kev_rows[0]
    assert row["affected"]["devices"] == 2
    assert row["affected"]["zones"] == {"lobby": 2}
    # isolating both cameras cuts the door readers off
    assert row["collateral_if_isolated"]["devices"] == 2
    assert row["collateral_if_isolated"]["functions"]["access"]["devices"] == 2
    # every finding counted is one the assessment itself lists
    doc = json.loads((building.parent / "wr703n-assessment.json").read_text())
    assert row["vulnerability"] in {v["id"] for v in doc["vulnerabilities"] if v.get("kev")}


def test_what_if(building: Path, result: dict[str, Any]) -> None:
    env = load(building)
    kev = next(b["vulnerability"] for b in result["blast_radius"] if b.get("kev"))
    isolated = what_if(env, Scenario(isolate=(kev,)))
    assert isolated["functions"]["access"]["reachable_before"] == 2
    assert isolated["functions"]["access"]["reachable_after"] == 0
    assert isolated["functions"]["video"]["reachable_after"] == 0
    assert isolated["functions"]["lighting"]["reachable_after"] == 1
    assert isolated["collateral_devices"] == ["reader-1", "reader-2"]
    failed = what_if(env, Scenario(fail=("gw-b",)))
    assert failed["functions"]["hvac"]["reachable_after"] == 0
    assert failed["functions"]["lighting"]["reachable_after"] == 1  # via gateway A
    assert failed["collateral_devices"] == ["hvac-1"]
    netco = what_if(env, Scenario(remove_vendor=("NetCo",)))
    assert all(f["reachable_after"] == 0 for f in netco["functions"].values())
    with pytest.raises(UsageError, match="no such device"):
        what_if(env, Scenario(fail=("gw-z",)))


def test_actions_put_the_known_exploited_patch_first(result: dict[str, Any]) -> None:
    actions = rank(result)
    assert actions[0]["action"].startswith("patch ")
    assert "known exploited" in actions[0]["why"]
    assert any("second path around Gateway A" in a["action"] for a in actions)
