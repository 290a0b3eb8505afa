"""The environment as a graph, and the block-cut tree that answers "what depends on what".

Every analysis asks one question in several forms: which devices lose their path to an uplink
when some vertices are gone. A super-sink joined to every uplink turns "any uplink" into "the
sink"; the block-cut tree of that graph (biconnected blocks and the articulation points between
them), rooted at the sink, then gives in one linear pass what each single point of failure cuts
off: everything in its subtree.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

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


@dataclass
class CutTree:
    """The block-cut tree rooted at the sink.

    ``children[x]`` lists a tree vertex's children; tree vertices are ``("A", v)`` for an
    articulation point and ``("B", i)`` for block ``i``; ``members[("B", i)]`` are the block's
    vertices that are not articulation points (each belongs to that block only).
    """

    root: tuple[str, object]
    children: dict[tuple[str, object], list[tuple[str, object]]] = field(default_factory=dict)
    members: dict[tuple[str, object], list[str]] = field(default_factory=dict)
    cut_points: set[str] = field(default_factory=set)
    bridges: dict[tuple[str, object], tuple[str, str]] = field(default_factory=dict)
    connected: set[str] = field(default_factory=set)
    parent: dict[tuple[str, object], tuple[str, object]] = field(default_factory=dict)
    blocks: dict[tuple[str, object], set[str]] = field(default_factory=dict)
    home: dict[str, tuple[str, object]] = field(default_factory=dict)

    def node_of(self, vertex: str) -> tuple[str, object] | None:
        """The tree vertex a graph vertex lives at (its cut-point node, or its one block)."""
        if vertex in self.cut_points or vertex == SINK:
            return ("A", vertex)
        return self.home.get(vertex)

    def totals(self, *values: dict[str, int]) -> list[dict[tuple[str, object], int]]:
        """For every tree vertex and each map in ``values``, the sum over the graph vertices
        strictly below it (a cut point's own value excluded, a block's members included):
        one bottom-up pass instead of a walk per cut point."""
        order: list[tuple[str, object]] = []
        stack = [self.root]
        while stack:
            t = stack.pop()
            order.append(t)
            stack.extend(self.children.get(t, ()))
        out: list[dict[tuple[str, object], int]] = []
        for value in values:
            own: dict[tuple[str, object], int] = {}
            below: dict[tuple[str, object], int] = {}
            get = value.get
            for t in reversed(order):
                inner = 0
                for c in self.children.get(t, ()):
                    inner += own[c]
                if t[0] == "A":
                    below[t] = inner
                    own[t] = inner + get(str(t[1]), 0)
                else:
                    for v in self.members.get(t, ()):
                        inner += get(v, 0)
                    below[t] = own[t] = inner
            out.append(below)
        return out

    def below(self, start: tuple[str, object]) -> list[str]:
        """Graph vertices in the subtree of ``start`` (the start itself excluded when it is a
        cut point: it is the one that failed)."""
        out: list[str] = []
        stack = list(self.children.get(start, []))
        if start[0] == "B":
            out.extend(self.members.get(start, []))
        while stack:
            t = stack.pop()
            if t[0] == "A":
                out.append(str(t[1]))
            else:
                out.extend(self.members.get(t, []))
            stack.extend(self.children.get(t, []))
        return out

    def depth(self) -> dict[tuple[str, object], int]:
        """Each tree vertex's distance from the root."""
        depth = {self.root: 0}
        stack = [self.root]
        while stack:
            t = stack.pop()
            for c in self.children.get(t, ()):
                depth[c] = depth[t] + 1
                stack.append(c)
        return depth


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


def _blocks(graph: Graph, core: set[str]) -> tuple[set[str], list[set[str]]]:
    """Cut points and blocks of the core (networkx; the core is small)."""
    sub = to_networkx(graph, core)
    if len(sub) < 2:
        return set(), []
    cuts = set(nx.articulation_points(sub))
    blocks: list[set[str]] = [set(c) for c in nx.biconnected_components(sub)]  # type: ignore[arg-type]
    return cuts, blocks


def cut_tree(graph: Graph) -> CutTree:
    """Build the rooted block-cut tree of the sink's connected component."""
    component = _component(graph, SINK)
    parent_of = peel(graph, component, frozenset({SINK}))
    core = component - set(parent_of)
    core_cuts, core_blocks = _blocks(graph, core)
    cut_points = core_cuts | set(parent_of.values())
    adjacency: dict[tuple[str, object], list[tuple[str, object]]] = {}
    members: dict[tuple[str, object], list[str]] = {}
    bridges: dict[tuple[str, object], tuple[str, str]] = {}
    home: dict[str, tuple[str, object]] = {}
    blocks: dict[tuple[str, object], set[str]] = {}

    def add_block(b: tuple[str, object], block: set[str]) -> None:
        blocks[b] = block
        members[b] = [v for v in block if v not in cut_points and v != SINK]
        for v in block:
            if v in cut_points:
                adjacency.setdefault(b, []).append(("A", v))
                adjacency.setdefault(("A", v), []).append(b)
            else:
                home[v] = b
        if len(block) == 2 and SINK not in block:
            x, y = sorted(block)
            bridges[b] = (x, y)

    for i, block in enumerate(core_blocks):
        add_block(("B", i), block)
    for v, w in parent_of.items():
        add_block(("B", "p:" + v), {v, w})
    if SINK in cut_points:
        root: tuple[str, object] = ("A", SINK)
    elif SINK in home:
        root = home[SINK]
    else:  # nothing reaches an uplink
        root = ("B", "sink")
        add_block(root, {SINK})
    children: dict[tuple[str, object], list[tuple[str, object]]] = {}
    parent: dict[tuple[str, object], tuple[str, object]] = {}
    seen = {root}
    queue = deque([root])
    while queue:
        t = queue.popleft()
        for u in adjacency.get(t, []):
            if u not in seen:
                seen.add(u)
                children.setdefault(t, []).append(u)
                parent[u] = t
                queue.append(u)
    cut_points.discard(SINK)
    return CutTree(
        root, children, members, cut_points, bridges, component - {SINK}, parent, blocks, home
    )


def plain_structure(graph: Graph) -> tuple[set[str], list[tuple[str, str]], int]:
    """Cut points, bridges and number of components of the graph without the sink."""
    within = set(graph) - {SINK}
    parent_of = peel(graph, within)
    core = within - set(parent_of)
    cuts, blocks = _blocks(graph, core)
    for w in set(parent_of.values()):
        if len(graph[w]) - (SINK in graph[w]) >= 2:
            cuts.add(w)
    links = [tuple(sorted(b)) for b in blocks if len(b) == 2]
    links.extend(tuple(sorted((v, w))) for v, w in parent_of.items())
    return cuts, links, nx.number_connected_components(to_networkx(graph, core))  # type: ignore[return-value]


def _component(graph: Graph, start: str) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        for w in graph[v]:
            if w not in seen:
                seen.add(w)
                queue.append(w)
    return seen


def cut_off(tree: CutTree, graph: Graph, removed: set[str]) -> set[str]:
    """Vertices (not removed) that lose every path to the uplinks once ``removed`` are gone.

    A vertex is cut off when a removed cut point lies above it in the tree, or when, inside
    one block on its way up, the removed vertices separate it from the block's exit. A block
    is biconnected, so that needs two removed vertices in it: only such blocks are searched.
    """
    dead: list[tuple[str, object]] = [("A", v) for v in removed if v in tree.cut_points]
    hits: dict[tuple[str, object], int] = {}
    for v in removed:
        t = tree.node_of(v)
        if t is None:
            continue
        if t[0] == "B":
            hits[t] = hits.get(t, 0) + 1
            continue
        for b in (*tree.children.get(t, []), *([tree.parent[t]] if t in tree.parent else [])):
            hits[b] = hits.get(b, 0) + 1
    for block, count in hits.items():
        if count < 2:
            continue
        exit_node = tree.parent.get(block)
        start = str(exit_node[1]) if exit_node else SINK
        if start in removed:
            continue  # the whole block is below a removed cut point already
        inside = tree.blocks[block]
        seen = {start}
        queue = deque([start])
        while queue:
            v = queue.popleft()
            for w in graph[v]:
                if w in inside and w not in seen and w not in removed:
                    seen.add(w)
                    queue.append(w)
        dead.extend(("A", v) for v in inside - seen - removed if v in tree.cut_points)
        lost = [v for v in inside - seen - removed if v not in tree.cut_points and v != SINK]
        dead.append(("L", tuple(lost)))
    out: set[str] = set()
    for t in dead:
        if t[0] == "L":
            out.update(t[1])  # type: ignore[arg-type]
            continue
        out.update(tree.below(t))
        if t[0] == "A":
            out.add(str(t[1]))
    return out - removed


def single_homed(tree: CutTree) -> set[str]:
    """Vertices with only one vertex-disjoint route to the uplinks: every connected vertex
    outside the sink's own block (and outside the blocks joined straight to a cut sink)."""
    safe: set[str] = set()
    tops = [tree.root] if tree.root[0] == "B" else tree.children.get(tree.root, [])
    for t in tops:
        safe.update(tree.members.get(t, []))
        safe.update(str(c[1]) for c in tree.children.get(t, []) if c[0] == "A")
    return tree.connected - safe
