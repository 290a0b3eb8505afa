"""Analyses of an environment's structure: single points of failure, bridges, routing
diversity, support horizon; and the one entry point, ``analyze``, that runs every analysis
(exposure analyses, concentration and blast radius, are in ``exposure.py``). Each returns plain
JSON-ready data with the reasons in it.

Weights: a device weighs as much as the most critical function it serves (low 1, medium 2,
high 4, critical 8; 1 when it serves none), so that rankings put the access-control reader
before the decorative light. Everything is linear in the size of the environment, so a
city-sized one (a million devices) is analysed in seconds: single-failure questions are read
off the block-cut tree, never answered by removing vertices one by one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx

from assay.environment.cuttree import CutTree, Node, cut_tree, single_homed
from assay.environment.graph import SINK, Graph, build_graph, plain_structure, to_networkx
from assay.environment.model import Environment

TOP = 100  # rows kept per ranked list (the total is always given)
DETAILED = 20  # rows given zone and function detail
EXACT_ROUTES = 20_000  # graphs up to this size get exact per-zone route counts (max-flow)


@dataclass
class Context:
    """What every analysis needs, computed once."""

    env: Environment
    graph: Graph
    tree: CutTree
    weights: dict[str, int]

    _totals: list[dict[Node, int]] | None = None
    _depth: dict[Node, int] | None = None
    _nx: nx.Graph[str] | None = None

    def totals(self) -> list[dict[Node, int]]:
        """Devices, their weight, and vertices below each tree vertex (computed once)."""
        if self._totals is None:
            self._totals = self.tree.totals(
                dict.fromkeys(self.env.devices, 1),
                self.weights,
                dict.fromkeys(self.tree.connected, 1),
            )
        return self._totals

    def depth(self) -> dict[Node, int]:
        if self._depth is None:
            self._depth = self.tree.depth()
        return self._depth

    @classmethod
    def of(cls, env: Environment) -> Context:
        graph = build_graph(env)
        weights = {}
        for d in env.devices.values():
            weights[d.id] = max((env.function(f).weight for f in d.functions), default=1)
        return cls(env, graph, cut_tree(graph), weights)


def analyze(
    env: Environment,
    today: dt.date | None = None,
    horizon_days: int = 180,
    ctx: Context | None = None,
) -> dict[str, Any]:
    """Every analysis of ``env`` (``ctx``: its graph and tree, when the caller keeps them for
    incremental updates)."""
    from assay.environment.exposure import blast_radius, concentration

    ctx = ctx or Context.of(env)
    return {
        "environment": summary(ctx),
        "structure": structure(ctx.graph),
        "single_points_of_failure": spofs(ctx),
        "bridges": bridges(ctx),
        "routing_diversity": diversity(ctx),
        "concentration": concentration(env),
        "blast_radius": blast_radius(ctx),
        "support_horizon": support_horizon(env, today or dt.date.today(), horizon_days),
        "problems": list(env.problems),
    }


def impact(ctx: Context, vids: Iterable[str]) -> dict[str, Any]:
    """What a set of devices means: how many, where, for what, how much it weighs."""
    env = ctx.env
    zones: dict[str, int] = {}
    functions: dict[str, int] = {}
    count = total = 0
    labels: list[str] = []
    for v in vids:
        d = env.devices.get(v)
        if d is None:
            continue
        count += 1
        total += ctx.weights[v]
        zone = d.zone or "(no zone)"
        zones[zone] = zones.get(zone, 0) + 1
        for f in d.functions:
            functions[f] = functions.get(f, 0) + 1
        if len(labels) < 50:
            labels.append(d.label)
    return {
        "devices": count,
        "weight": total,
        "zones": dict(sorted(zones.items())),
        "functions": {
            f: {"devices": n, "criticality": env.function(f).criticality}
            for f, n in sorted(functions.items())
        },
        "examples": sorted(labels)[:5],
    }


def structure(graph: Graph) -> dict[str, Any]:
    """The graph's own shape, uplinks aside: articulation points and bridges of the whole
    network (what a network engineer counts), and how many pieces it falls into."""
    cuts, links, components = plain_structure(graph)
    small = len(links) <= 10 * TOP
    return {
        "articulation_points": sorted(cuts)[:TOP],
        "articulation_point_count": len(cuts),
        "bridges": [list(b) for b in (sorted(links) if small else links)[:TOP]],
        "bridge_count": len(links),
        "connected_components": components,
    }


def summary(ctx: Context) -> dict[str, Any]:
    env = ctx.env
    unreachable = sorted(set(env.devices) - ctx.tree.connected - set(env.uplinks))
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


def _ranked(ctx: Context, candidates: list[tuple[Node, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Rank cuts by the device weight below them; detail the first ones."""
    tree = ctx.tree
    devices, weight, vertices = ctx.totals()
    # a cut counts when it strands a device (or any vertex, in a network without devices)
    stranding = devices if ctx.env.devices else vertices
    rows = [(t, row) for t, row in candidates if stranding.get(t, 0) > 0]
    rows.sort(key=lambda tr: (-weight.get(tr[0], 0), -vertices.get(tr[0], 0), str(tr[0][1])))
    out = []
    for i, (t, row) in enumerate(rows[:TOP]):
        row["cut_off_vertices"] = vertices.get(t, 0)
        if i < DETAILED:
            row["cuts_off"] = impact(ctx, tree.below(t))
        else:
            row["cuts_off"] = {"devices": devices.get(t, 0), "weight": weight.get(t, 0)}
        out.append(row)
    if len(rows) > TOP:
        out.append({"more": len(rows) - TOP})
    return out


def spofs(ctx: Context) -> list[dict[str, Any]]:
    """Cut points ranked by the weight of the devices only they connect."""
    env = ctx.env
    candidates: list[tuple[Node, dict[str, Any]]] = []
    for cut in ctx.tree.cut_points:
        item = env.devices.get(cut) or env.nodes.get(cut)
        device = env.devices.get(cut)
        node = env.nodes.get(cut)
        candidates.append(
            (
                ("A", cut),
                {
                    "vertex": cut,
                    "name": (device.label if device else node.name if node else "") or cut,
                    "kind": "device" if device else node.kind if node else "node",
                    "zone": env.zone_of(cut) if item else "",
                    "why": "every path from the vertices below it to an uplink passes through it",
                },
            )
        )
    return _ranked(ctx, candidates)


def bridges(ctx: Context) -> list[dict[str, Any]]:
    """Links whose loss strands more than the device at their end (a device's own single
    cable is counted under routing diversity, not here)."""
    candidates: list[tuple[Node, dict[str, Any]]] = []
    for block, (a, b) in ctx.tree.bridges.items():
        below = ctx.tree.children.get(block, [])
        if not below:
            continue  # the far end is a leaf: only itself is stranded
        candidates.append((block, {"link": [a, b]}))
    return _ranked(ctx, candidates)


def diversity(ctx: Context) -> dict[str, Any]:
    """Single-homed devices, and per zone the number of vertex-disjoint routes from the zone
    (as one source) to the uplinks: 1 means one failure cuts the whole zone off."""
    env, tree = ctx.env, ctx.tree
    single = single_homed(tree)
    zones: dict[str, list[str]] = defaultdict(list)
    for d in env.devices.values():
        if d.id in tree.connected:
            zones[d.zone or "(no zone)"].append(d.id)
    exact = len(ctx.graph) <= EXACT_ROUTES
    per_zone = {}
    for zone, members in sorted(zones.items()):
        routes = _exact_routes(ctx, members) if exact else _one_or_more(ctx, members)
        per_zone[zone] = {
            "devices": len(members),
            "single_homed": sum(1 for m in members if m in single),
            "disjoint_routes": routes,
            "exact": exact or routes == 1,
        }
    return {
        "single_homed_devices": len(single & set(env.devices)),
        "zones": per_zone,
        "method": "max-flow per zone" if exact else "block-cut tree (1, or at least 2)",
    }


def _exact_routes(ctx: Context, members: list[str]) -> int | None:
    """Max-flow from a zone super-source to the sink; ``None`` when the zone holds an uplink."""
    if any(m in ctx.env.uplinks for m in members):
        return None
    source = "\x00zone"
    if ctx._nx is None:
        ctx._nx = to_networkx(ctx.graph)
    ctx._nx.add_edges_from((source, m) for m in members)
    try:
        return int(nx.node_connectivity(ctx._nx, source, SINK))
    finally:
        ctx._nx.remove_node(source)


def _one_or_more(ctx: Context, members: list[str]) -> int | None:
    """1 when one cut point lies above every member, else 2 (at least): the members' lowest
    common ancestor in the block-cut tree, then the cut points above it."""
    if any(m in ctx.env.uplinks for m in members):
        return None
    tree, depth = ctx.tree, ctx.depth()
    nodes = [t for t in (tree.node_of(m) for m in members) if t is not None]
    if not nodes:
        return None

    def _up(t: Node) -> Node:
        above = tree.up(t)
        assert above is not None  # only the root has none, and it is everyone's ancestor
        return above

    def _depth(t: Node) -> int:
        return depth[t] if t[0] != "L" else depth[_up(t)] + 1

    lca = nodes[0]
    for a in nodes[1:]:
        while _depth(a) > _depth(lca):
            a = _up(a)
        while _depth(lca) > _depth(a):
            lca = _up(lca)
        while a != lca:
            a, lca = _up(a), _up(lca)
    member_set = set(members)
    t: Node | None = lca
    while t is not None:
        if t[0] == "A" and t[1] != SINK and str(t[1]) not in member_set:
            return 1
        t = tree.up(t)
    return 2


def support_horizon(env: Environment, today: dt.date, horizon_days: int) -> dict[str, Any]:
    """Devices past their support end, or within ``horizon_days`` of it, per zone."""
    soon = today + dt.timedelta(days=horizon_days)
    past: dict[str, int] = defaultdict(int)
    near: dict[str, int] = defaultdict(int)
    unknown = 0
    for d in env.devices.values():
        zone = d.zone or "(no zone)"
        if d.support_end is None:
            unknown += 1
        elif d.support_end < today:
            past[zone] += 1
        elif d.support_end <= soon:
            near[zone] += 1
    return {
        "as_of": today.isoformat(),
        "horizon_days": horizon_days,
        "past_support": dict(sorted(past.items())),
        "ending_soon": dict(sorted(near.items())),
        "unknown_support_end": unknown,
    }
