"""The environment as a graph.

Every analysis asks one question in several forms: which devices lose their path to an uplink
when some vertices are gone. A super-sink joined to every uplink turns "any uplink" into "the
sink"; the block-cut tree of that graph (``cuttree.py``) then answers the single-failure
questions in one linear pass. Pendant vertices are peeled off first, so that the block
decomposition (networkx) only ever sees the small core of gateways and backbone.
"""

from __future__ import annotations

from collections import deque

import networkx as nx

from assay.environment.model import Environment

SINK = "\x00uplink"


Graph = dict[str, set[str]]  # vertex -> neighbours: plain sets, fast at a million vertices


def build_graph(env: Environment) -> Graph:
    """The simple undirected graph of devices and nodes, with the super-sink."""
    graph: Graph = {v: set() for v in env.vertex_ids()}
    graph[SINK] = set()
    for link in env.links:
        if link.a != link.b:
            graph[link.a].add(link.b)
            graph[link.b].add(link.a)
    for up in env.uplinks:
        graph[SINK].add(up)
        graph[up].add(SINK)
    return graph


def to_networkx(graph: Graph, within: set[str] | None = None) -> nx.Graph[str]:
    """The (sub)graph as a networkx graph, for the algorithms run on small graphs only."""
    keep = set(graph) if within is None else within
    out: nx.Graph[str] = nx.Graph()
    out.add_nodes_from(keep)
    out.add_edges_from((v, w) for v in keep for w in graph[v] if w in keep and v < w)
    return out


def peel(graph: Graph, within: set[str], keep: frozenset[str] = frozenset()) -> dict[str, str]:
    """Strip pendant vertices again and again; return each stripped vertex's parent (its last
    remaining neighbour). Devices are mostly leaves, so what remains (the *core*: gateways,
    switches, backbone) is small, and only it needs a block decomposition. ``within`` is a
    union of whole components of the graph, possibly less the sink; vertices in ``keep`` are
    never stripped."""
    skip = SINK if SINK not in within else None
    adj = graph
    degree = {v: len(adj[v]) - (skip in adj[v]) for v in within}
    stack = [v for v, d in degree.items() if d == 1 and v not in keep]
    parent: dict[str, str] = {}
    while stack:
        v = stack.pop()
        if v in parent or degree[v] != 1:
            continue
        w = next(w for w in adj[v] if w != skip and w not in parent)
        parent[v] = w
        degree[v] = 0
        degree[w] -= 1
        if degree[w] == 1 and w not in keep:
            stack.append(w)
    return parent


def blocks_of(graph: Graph, core: set[str]) -> tuple[set[str], list[set[str]]]:
    """Cut points and blocks of the core (networkx; the core is small)."""
    sub = to_networkx(graph, core)
    if len(sub) < 2:
        return set(), []
    cuts = set(nx.articulation_points(sub))
    blocks: list[set[str]] = [set(c) for c in nx.biconnected_components(sub)]  # type: ignore[arg-type]
    return cuts, blocks


def plain_structure(graph: Graph) -> tuple[set[str], list[tuple[str, str]], int]:
    """Cut points, bridges and number of components of the graph without the sink."""
    within = set(graph) - {SINK}
    parent_of = peel(graph, within)
    core = within - set(parent_of)
    cuts, blocks = blocks_of(graph, core)
    for w in set(parent_of.values()):
        if len(graph[w]) - (SINK in graph[w]) >= 2:
            cuts.add(w)
    links = [tuple(sorted(b)) for b in blocks if len(b) == 2]
    links.extend(tuple(sorted((v, w))) for v, w in parent_of.items())
    return cuts, links, nx.number_connected_components(to_networkx(graph, core))  # type: ignore[return-value]


def component(graph: Graph, start: str) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        for w in graph[v]:
            if w not in seen:
                seen.add(w)
                queue.append(w)
    return seen
