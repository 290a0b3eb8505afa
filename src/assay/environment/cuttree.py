"""The block-cut tree, rooted at the sink: what depends on what.

The tree's vertices are cut points ``("A", v)`` and blocks ``("B", key)``; a block's
``members`` are its vertices that are not cut points. Leaf devices (one link, nothing behind
them) are most of a large environment and never change an answer, so they are kept apart:
``leaves[v]`` lists the leaves hanging off vertex ``v``, and a leaf's tree vertex is
``("L", leaf)`` under ``("A", v)``. What a cut point strands is everything below it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from assay.environment.graph import SINK, Graph, blocks_of, component, peel

Node = tuple[str, object]


@dataclass
class CutTree:
    root: Node
    children: dict[Node, list[Node]] = field(default_factory=dict)
    members: dict[Node, list[str]] = field(default_factory=dict)
    cut_points: set[str] = field(default_factory=set)
    bridges: dict[Node, tuple[str, str]] = field(default_factory=dict)
    connected: set[str] = field(default_factory=set)
    parent: dict[Node, Node] = field(default_factory=dict)
    blocks: dict[Node, set[str]] = field(default_factory=dict)
    home: dict[str, Node] = field(default_factory=dict)
    leaves: dict[str, list[str]] = field(default_factory=dict)
    leaf_parent: dict[str, str] = field(default_factory=dict)

    def node_of(self, vertex: str) -> Node | None:
        """The tree vertex a graph vertex lives at."""
        if vertex in self.cut_points or vertex == SINK:
            return ("A", vertex)
        if vertex in self.leaf_parent:
            return ("L", vertex)
        return self.home.get(vertex)

    def up(self, t: Node) -> Node | None:
        if t[0] == "L":
            return ("A", self.leaf_parent[str(t[1])])
        return self.parent.get(t)

    def order(self) -> list[Node]:
        """Tree vertices (leaves aside), parents before children."""
        out: list[Node] = []
        stack = [self.root]
        while stack:
            t = stack.pop()
            out.append(t)
            stack.extend(self.children.get(t, ()))
        return out

    def totals(self, *values: dict[str, int]) -> list[dict[Node, int]]:
        """For every tree vertex and each map in ``values``, the sum over the graph vertices
        strictly below it (a cut point's own value excluded, a block's members and a cut
        point's leaves included): one bottom-up pass instead of a walk per cut point."""
        order = self.order()
        out: list[dict[Node, int]] = []
        for value in values:
            own: dict[Node, int] = {}
            below: dict[Node, int] = {}
            get = value.get
            for t in reversed(order):
                inner = 0
                for c in self.children.get(t, ()):
                    inner += own[c]
                if t[0] == "A":
                    for leaf in self.leaves.get(str(t[1]), ()):
                        inner += get(leaf, 0)
                    below[t] = inner
                    own[t] = inner + get(str(t[1]), 0)
                else:
                    for v in self.members.get(t, ()):
                        inner += get(v, 0)
                    below[t] = own[t] = inner
            out.append(below)
        return out

    def below(self, start: Node) -> list[str]:
        """Graph vertices in the subtree of ``start`` (the start itself excluded when it is a
        cut point: it is the one that failed)."""
        out: list[str] = []
        if start[0] == "L":
            return out
        stack = [start]
        while stack:
            t = stack.pop()
            if t[0] == "A":
                if t is not start:
                    out.append(str(t[1]))
                out.extend(self.leaves.get(str(t[1]), ()))
            else:
                out.extend(self.members.get(t, ()))
            stack.extend(self.children.get(t, ()))
        return out

    def depth(self) -> dict[Node, int]:
        """Each tree vertex's distance from the root (leaves: one more than their parent)."""
        depth = {self.root: 0}
        for t in self.order():
            for c in self.children.get(t, ()):
                depth[c] = depth[t] + 1
        return depth


def cut_tree(graph: Graph) -> CutTree:
    """Build the rooted block-cut tree of the sink's connected component."""
    reached = component(graph, SINK)
    parent_of = peel(graph, reached, frozenset({SINK}))
    core = reached - set(parent_of)
    core_cuts, core_blocks = blocks_of(graph, core)
    holders = set(parent_of.values())
    cut_points = core_cuts | holders
    tree = CutTree(("B", "none"), cut_points=cut_points, connected=reached - {SINK})
    adjacency: dict[Node, list[Node]] = {}

    def add_block(b: Node, block: set[str]) -> None:
        tree.blocks[b] = block
        tree.members[b] = [v for v in block if v not in cut_points and v != SINK]
        for v in block:
            if v in cut_points:
                adjacency.setdefault(b, []).append(("A", v))
                adjacency.setdefault(("A", v), []).append(b)
            else:
                tree.home[v] = b
        if len(block) == 2 and SINK not in block:
            x, y = sorted(block)
            tree.bridges[b] = (x, y)

    for i, block in enumerate(core_blocks):
        add_block(("B", i), block)
    for v, w in parent_of.items():
        if v in holders:
            add_block(("B", "p:" + v), {v, w})
        else:  # a leaf: kept apart, it strands nobody
            tree.leaves.setdefault(w, []).append(v)
            tree.leaf_parent[v] = w
    if SINK in cut_points:
        tree.root = ("A", SINK)
    elif SINK in tree.home:
        tree.root = tree.home[SINK]
    else:  # nothing reaches an uplink
        tree.root = ("B", "sink")
        add_block(tree.root, {SINK})
    seen = {tree.root}
    queue = deque([tree.root])
    while queue:
        t = queue.popleft()
        for u in adjacency.get(t, ()):
            if u not in seen:
                seen.add(u)
                tree.children.setdefault(t, []).append(u)
                tree.parent[u] = t
                queue.append(u)
    cut_points.discard(SINK)
    return tree


def cut_off(tree: CutTree, graph: Graph, removed: set[str]) -> set[str]:
    """Vertices (not removed) that lose every path to the uplinks once ``removed`` are gone.

    A vertex is cut off when a removed cut point lies above it in the tree, or when, inside
    one block on its way up, the removed vertices separate it from the block's exit. A block
    is biconnected, so that needs two removed vertices in it: only such blocks are searched.
    A removed leaf strands nobody.
    """
    dead: list[Node] = [("A", v) for v in removed if v in tree.cut_points]
    lost: list[str] = []
    hits: dict[Node, int] = {}
    for v in removed:
        t = tree.node_of(v)
        if t is None or t[0] == "L":
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
        stranded = inside - seen - removed - {SINK}
        dead.extend(("A", v) for v in stranded if v in tree.cut_points)
        lost.extend(v for v in stranded if v not in tree.cut_points)
    out = set(lost)
    for t in dead:
        out.update(tree.below(t))
        out.add(str(t[1]))
    return out - removed


def single_homed(tree: CutTree) -> set[str]:
    """Vertices with only one vertex-disjoint route to the uplinks: every connected vertex
    outside the sink's own block (and outside the blocks joined straight to a cut sink);
    uplinks hanging straight off the sink are at the way out, not single-homed."""
    safe: set[str] = set(tree.leaves.get(SINK, ()))
    tops = [tree.root] if tree.root[0] == "B" else tree.children.get(tree.root, [])
    for t in tops:
        safe.update(tree.members.get(t, []))
        safe.update(str(c[1]) for c in tree.children.get(t, []) if c[0] == "A")
    return tree.connected - safe
