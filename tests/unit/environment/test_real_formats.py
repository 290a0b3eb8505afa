"""Importers and analyses on real deployments (../shared/data/environments, see its SOURCES.md).

Expected figures come from that SOURCES.md, which its authors computed with networkx on the
simple graph (Topology Zoo) or counted from the files (MUD domains, device lists, Brick).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assay.environment import analyze
from assay.environment.importers import merge_import
from assay.environment.model import Environment
from assay.errors import InputError

# network: (nodes, articulation points, bridges, connected components) from SOURCES.md
ZOO = {
    "Nsfcnet": (10, 2, 3, 2),
    "TLex": (12, 3, 8, 1),
    "Abilene": (11, 0, 0, 1),
    "Fatman": (17, 5, 9, 1),
    "Janetlense": (20, 3, 3, 1),
    "KentmanJan2011": (38, 7, 35, 1),
    "Geant2012": (40, 8, 8, 1),
    "GtsCe": (149, 11, 13, 1),
    "UsCarrier": (158, 33, 31, 1),
    "Cogentco": (197, 33, 32, 1),
    "Kdl": (754, 69, 74, 1),
}


def imported(fmt: str, path: Path, **options: Any) -> Environment:
    env = Environment(name=path.stem)
    merge_import(env, fmt, path, options)
    return env


@pytest.fixture(scope="module")
def environments(shared_data: Path) -> Path:
    return shared_data / "environments"


@pytest.mark.parametrize("network", sorted(ZOO))
def test_topology_zoo_cut_points_agree_with_sources(environments: Path, network: str) -> None:
    nodes, aps, bridges, components = ZOO[network]
    env = imported("graphml", environments / "topology-zoo" / "graphml" / f"{network}.graphml")
    result = analyze(env)
    assert result["environment"]["nodes"] == nodes
    assert len(result["structure"]["articulation_points"]) == aps
    assert len(result["structure"]["bridges"]) == bridges
    assert result["structure"]["connected_components"] == components


def test_abilene_has_no_single_point_of_failure_kentman_has_many(environments: Path) -> None:
    zoo = environments / "topology-zoo" / "graphml"
    abilene = analyze(imported("graphml", zoo / "Abilene.graphml"))
    assert abilene["structure"]["articulation_points"] == []
    kent = analyze(imported("graphml", zoo / "KentmanJan2011.graphml"))
    # KentMAN marks external peers; each cut point found towards them is a structural one too
    structural = set(kent["structure"]["articulation_points"])
    assert kent["single_points_of_failure"]
    assert {s["vertex"] for s in kent["single_points_of_failure"]} <= structural


def test_zigbee_home_mesh(environments: Path) -> None:
    mesh = environments / "zigbee2mqtt-home-mesh" / "networkMapRequest.json"
    env = imported("zigbee2mqtt", mesh)
    assert len(env.devices) == 12 and env.uplinks == ("0x00124b0022813501",)
    result = analyze(env)
    # hue1 and the IKEA switch appear in the map with no link at all
    assert result["environment"]["unreachable_count"] == 2
    spofs = {s["vertex"]: s for s in result["single_points_of_failure"]}
    # two end devices hang off the SONOFF router alone
    sonoff = spofs["0x00124b001e73227f"]["cuts_off"]
    assert sonoff["devices"] == 2
    assert sorted(sonoff["examples"]) == ["dining room/ac power", "work/nur/jopa"]
    # firmware from the bridge's device list, e.g. the IKEA switch's 2.2.010 (SOURCES.md)
    assert env.devices["0xbc33acfffe17628b"].components == (("IKEA E1743 firmware", "2.2.010"),)
    vendors = result["concentration"]["vendors"]
    assert vendors["top"][0] == {"name": "Xiaomi", "count": 7, "share": round(7 / 12, 4)}


def test_mud_cloud_dependencies_agree_with_sources(environments: Path) -> None:
    env = imported("mud", environments / "mud-by-location" / "mud")
    assert len(env.devices) == 90
    per = analyze(env)["concentration"]["cloud_providers"]["devices_per_provider"]
    assert per["ntp.org"] == 26
    assert per["mi.com"] == 16
    assert per["tplinkcloud.com"] == 13 and per["tplinkra.com"] == 13
    assert per["amazonaws.com"] == 10 and per["cloudfront.net"] == 10
    assert per["xiaoyi.com"] == 10 and per["google.com"] == 9 and per["amazon.com"] == 8
    assert "local" not in per  # the MUD gateway controller is no cloud


def test_unsw_device_list(environments: Path) -> None:
    env = imported(
        "devices-csv",
        environments / "device-inventories" / "unsw-iot-traces" / "List_Of_Devices.txt",
    )
    assert len(env.devices) == 30  # 31 rows, one of them the gateway
    assert env.uplinks == ("14:cc:20:51:33:ea",)
    result = analyze(env)
    assert result["single_points_of_failure"][0]["cuts_off"]["devices"] == 30


def test_brick_soda_hall(environments: Path) -> None:
    env = imported("brick", environments / "brick-buildings" / "soda_brick.ttl")
    kinds = [d.product for d in env.devices.values()]
    assert kinds.count("AHU") == 5 and kinds.count("VAV") == 243  # SOURCES.md
    result = analyze(env)
    ahus = [
        s
        for s in result["single_points_of_failure"]
        if s["vertex"].endswith(tuple(f"ahu_A{i}" for i in range(1, 6)))
    ]
    assert ahus and all(s["cuts_off"]["functions"]["hvac"]["devices"] > 0 for s in ahus)
    # cross-check the largest one with a SPARQL count of the VAVs only it feeds
    import rdflib

    graph = rdflib.Graph().parse(environments / "brick-buildings" / "soda_brick.ttl")
    top = ahus[0]["vertex"]
    rows = graph.query(
        "SELECT ?vav (COUNT(DISTINCT ?ahu) AS ?n) WHERE { ?ahu ?feeds ?vav . "
        "FILTER(STRENDS(STR(?feeds), '#feeds')) . ?ahu a ?t . FILTER(STRENDS(STR(?t), '#AHU')) }"
        " GROUP BY ?vav"
    )
    only = {str(r[0]) for r in rows if int(r[1]) == 1}
    fed_by_top = {str(o) for s, p, o in graph if str(s) == top and str(p).endswith("#feeds")}
    assert ahus[0]["cuts_off"]["devices"] == len(fed_by_top & only)


def test_bad_inputs_are_one_line_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.graphml"
    bad.write_text("<graphml><oops")
    with pytest.raises(InputError, match="not readable GraphML"):
        imported("graphml", bad)
    with pytest.raises(InputError, match="not a Zigbee2MQTT"):
        (tmp_path / "m.json").write_text('{"payload": {}}')
        imported("zigbee2mqtt", tmp_path / "m.json")
    with pytest.raises(InputError, match="unknown environment format"):
        imported("visio", bad)


def test_iot_sentinel_devices_behind_their_hubs(environments: Path) -> None:
    env = imported(
        "iot-sentinel",
        environments / "device-inventories" / "iot-sentinel" / "captures_IoT-Sentinel",
    )
    assert len(env.devices) == 31  # 31 devices of 27 types (SOURCES.md)
    result = analyze(env)
    spofs = {s["name"]: s["cuts_off"] for s in result["single_points_of_failure"]}
    # SOURCES.md: the door sensor shares the D-Link hub's MAC, the Hue switch the bridge's
    assert spofs["D-LinkHomeHub"]["examples"] == ["D-LinkDoorSensor"]
    assert spofs["HueBridge"]["examples"] == ["HueSwitch"]
    assert spofs["gateway"]["devices"] == 31
    assert len(result["problems"]) == 2
