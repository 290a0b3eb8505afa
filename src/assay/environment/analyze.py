"""Analyses of an environment: single points of failure, routing diversity, concentration,
blast radius, support horizon. Each returns plain JSON-ready data with the reasons in it.

Weights: a device weighs as much as the most critical function it serves (low 1, medium 2,
high 4, critical 8; 1 when it serves none), so that rankings put the access-control reader
before the decorative light.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

import networkx as nx

from assay.environment.graph import SINK, CutTree, build_graph, cut_tree, reachable, single_homed
from assay.environment.model import Device, Environment

TOP = 20


def analyze(
    env: Environment, today: dt.date | None = None, horizon_days: int = 180
) -> dict[str, Any]:
    """Every analysis of ``env``."""
    graph = build_graph(env)
    tree = cut_tree(graph)
    return {
        "environment": summary(env, tree),
        "structure": structure(graph),
        "single_points_of_failure": spofs(env, tree),
        "bridges": bridges(env, tree),
        "routing_diversity": diversity(env, graph, tree),
        "concentration": concentration(env),
        "blast_radius": blast_radius(env, graph),
        "support_horizon": support_horizon(env, today or dt.date.today(), horizon_days),
        "problems": list(env.problems),
    }


def weight(env: Environment, vid: str) -> int:
    device = env.devices.get(vid)
    if device is None or not device.functions:
        return 1 if device else 0
    return max(env.function(f).weight for f in device.functions)


def impact(env: Environment, vids: list[str] | set[str]) -> dict[str, Any]:
    """What a set of devices means: how many, where, for what, how much it weighs."""
    devices = [env.devices[v] for v in vids if v in env.devices]
    functions: Counter[str] = Counter(f for d in devices for f in d.functions)
    zones: Counter[str] = Counter(d.zone or "(no zone)" for d in devices)
    return {
        "devices": len(devices),
        "weight": sum(weight(env, d.id) for d in devices),
        "zones": dict(sorted(zones.items())),
        "functions": {
            f: {"devices": n, "criticality": env.function(f).criticality}
            for f, n in sorted(functions.items())
        },
        "examples": sorted(d.label for d in devices)[:5],
    }


def structure(graph: nx.Graph[str]) -> dict[str, Any]:
    """The graph's own shape, uplinks aside: articulation points and bridges of the whole
    network (what a network engineer counts), and how many pieces it falls into."""
    plain = graph.copy()
    plain.remove_node(SINK)
    return {
        "articulation_points": sorted(nx.articulation_points(plain)),
        "bridges": sorted(sorted(e) for e in nx.bridges(plain)),
        "connected_components": nx.number_connected_components(plain) if len(plain) else 0,
    }


def summary(env: Environment, tree: CutTree) -> dict[str, Any]:
    unreachable = sorted(set(env.devices) - tree.connected - set(env.uplinks))
    return {
        "name": env.name,
        "devices": len(env.devices),
        "nodes": len(env.nodes),
        "links": len(env.links),
        "zones": len({d.zone for d in env.devices.values() if d.zone}),
        "uplinks": list(env.uplinks),
        "unreachable_devices": unreachable[:TOP],
        "unreachable_count": len(unreachable),
    }


def spofs(env: Environment, tree: CutTree) -> list[dict[str, Any]]:
    """Articulation points ranked by the weight of the devices only they connect."""
    rows: list[dict[str, Any]] = []
    for cut in tree.cut_points:
        dependents = tree.below(("A", cut))
        if not _matters(env, dependents):
            continue
        item = env.devices.get(cut) or env.nodes.get(cut)
        rows.append(
            {
                "vertex": cut,
                "name": getattr(item, "label", None) or getattr(item, "name", "") or cut,
                "kind": "device" if cut in env.devices else getattr(item, "kind", "node"),
                "zone": env.zone_of(cut),
                "cuts_off": impact(env, dependents),
                "cut_off_vertices": len(dependents),
                "why": f"every path from {len(dependents)} vertices to an uplink passes through it",
            }
        )
    rows.sort(key=lambda r: (-r["cuts_off"]["weight"], -r["cut_off_vertices"], r["vertex"]))
    return rows


def _matters(env: Environment, dependents: list[str]) -> bool:
    """A cut counts when it strands a device (or any vertex, in a network without devices)."""
    if env.devices:
        return any(v in env.devices for v in dependents)
    return bool(dependents)


def bridges(env: Environment, tree: CutTree) -> list[dict[str, Any]]:
    """Links whose loss cuts vertices off the uplinks."""
    rows: list[dict[str, Any]] = []
    for block, (a, b) in tree.bridges.items():
        dependents = tree.below(block)
        if not _matters(env, dependents):
            continue
        rows.append(
            {
                "link": [a, b],
                "cuts_off": impact(env, dependents),
                "cut_off_vertices": len(dependents),
            }
        )
    rows.sort(key=lambda r: (-r["cuts_off"]["weight"], -r["cut_off_vertices"], r["link"]))
    return rows


def diversity(env: Environment, graph: nx.Graph[str], tree: CutTree) -> dict[str, Any]:
    """Single-homed devices, and per zone the number of vertex-disjoint routes from the zone
    to the uplinks (1: one failure cuts the zone off)."""
    single = single_homed(tree) & set(env.devices)
    zones: dict[str, list[str]] = defaultdict(list)
    for d in env.devices.values():
        if d.id in tree.connected:
            zones[d.zone or "(no zone)"].append(d.id)
    per_zone = {}
    for zone, members in sorted(zones.items()):
        per_zone[zone] = {
            "devices": len(members),
            "single_homed": sum(1 for m in members if m in single),
            "disjoint_routes": _zone_routes(graph, members, env.uplinks),
        }
    return {"single_homed_devices": len(single), "zones": per_zone}


def _zone_routes(graph: nx.Graph[str], members: list[str], uplinks: tuple[str, ...]) -> int | None:
    """Vertex-disjoint routes from the zone (as one source) to the sink; ``None`` when a
    member is itself an uplink (the zone is at the way out)."""
    if any(m in uplinks for m in members):
        return None
    source = "\x00zone"
    aux = graph.copy()
    aux.add_edges_from((source, m) for m in members)
    return int(nx.node_connectivity(aux, source, SINK))


def concentration(env: Environment) -> dict[str, Any]:
    """Herfindahl–Hirschman index (sum of squared shares, 0..1) with the top contributors, for
    vendors, cloud providers, and the versions of each shared component."""
    devices = list(env.devices.values())
    critical = [d for d in devices if any(env.function(f).weight >= 4 for f in d.functions)]
    clouds = {sid for sid, svc in env.services.items() if svc.kind == "cloud"}
    providers = Counter(
        env.services[s].provider or env.services[s].endpoint or s
        for d in devices
        for s in d.services
        if s in clouds
    )
    versions: dict[str, Counter[str]] = defaultdict(Counter)
    carriers: Counter[str] = Counter()
    for d in devices:
        for name, version in set(d.components):
            versions[name][version] += 1
            carriers[f"{name}@{version}"] += 1
    monocultures: list[dict[str, Any]] = []
    for name, counter in versions.items():
        total = sum(counter.values())
        if total >= 2:
            monocultures.append({"component": name, "devices": total, **_hhi(counter)})
    monocultures.sort(key=lambda r: (-r["devices"] * r["hhi"], r["component"]))
    return {
        "vendors": _hhi(Counter(d.vendor or "(unknown)" for d in devices)),
        "critical_function_vendors": _hhi(Counter(d.vendor or "(unknown)" for d in critical)),
        "cloud_providers": {
            **_hhi(providers),
            "devices_per_provider": _devices_per(devices, env, clouds),
        },
        "component_versions": monocultures[:TOP],
        "most_shared": [
            {"component": c, "devices": n, "share": round(n / len(devices), 4)}
            for c, n in carriers.most_common(10)
        ]
        if devices
        else [],
    }


def _devices_per(devices: list[Device], env: Environment, clouds: set[str]) -> dict[str, int]:
    out: Counter[str] = Counter()
    for d in devices:
        for p in {env.services[s].provider or s for s in d.services if s in clouds}:
            out[p] += 1
    return dict(out.most_common(10))


def _hhi(counter: Counter[str]) -> dict[str, Any]:
    total = sum(counter.values())
    if not total:
        return {"hhi": 0.0, "top": []}
    shares = {k: v / total for k, v in counter.items()}
    return {
        "hhi": round(sum(s * s for s in shares.values()), 4),
        "top": [
            {"name": k, "count": counter[k], "share": round(s, 4)}
            for k, s in sorted(shares.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
        ],
    }


def blast_radius(env: Environment, graph: nx.Graph[str]) -> list[dict[str, Any]]:
    """Per vulnerability: the devices that carry it, and the others that lose their uplink
    if those devices are isolated (taken off the network until patched) or fail."""
    carriers: dict[str, set[str]] = defaultdict(set)
    kev: dict[str, bool] = {}
    component: dict[str, set[str]] = defaultdict(set)
    for d in env.devices.values():
        for f in d.findings:
            carriers[f.id].add(d.id)
            kev[f.id] = kev.get(f.id, False) or f.kev
            component[f.id].add(f.component)
    before = reachable(graph)
    cache: dict[frozenset[str], set[str]] = {}
    rows: list[dict[str, Any]] = []
    for vid, affected in carriers.items():
        key = frozenset(affected)
        if key not in cache:
            cache[key] = (before - reachable(graph, affected)) - affected
        collateral = cache[key]
        rows.append(
            {
                "vulnerability": vid,
                "kev": kev[vid],
                "components": sorted(component[vid]),
                "affected": impact(env, affected),
                "collateral_if_isolated": impact(env, collateral),
            }
        )
    rows.sort(
        key=lambda r: (
            not r["kev"],
            -(r["affected"]["weight"] + r["collateral_if_isolated"]["weight"]),
            r["vulnerability"],
        )
    )
    return rows


def support_horizon(env: Environment, today: dt.date, horizon_days: int) -> dict[str, Any]:
    """Devices past their support end, or within ``horizon_days`` of it, per zone."""
    soon = today + dt.timedelta(days=horizon_days)
    past: dict[str, list[str]] = defaultdict(list)
    near: dict[str, list[str]] = defaultdict(list)
    unknown = 0
    for d in env.devices.values():
        if d.support_end is None:
            unknown += 1
        elif d.support_end < today:
            past[d.zone or "(no zone)"].append(d.id)
        elif d.support_end <= soon:
            near[d.zone or "(no zone)"].append(d.id)
    return {
        "as_of": today.isoformat(),
        "horizon_days": horizon_days,
        "past_support": {z: len(v) for z, v in sorted(past.items())},
        "ending_soon": {z: len(v) for z, v in sorted(near.items())},
        "unknown_support_end": unknown,
    }
