"""Internet Topology Zoo GraphML: an operator's network as nodes and links.

Parallel links (the Zoo has multigraphs) are kept as separate ``Link`` rows; the analyses work
on the simple graph, where a parallel link is what keeps an edge from being a bridge only if the
graph is read as a multigraph, so we record the count in ``env.problems`` for the reader.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx

from assay.environment.model import Environment, Link, Node
from assay.errors import InputError


def merge(env: Environment, path: Path, options: dict[str, Any]) -> None:
    try:
        graph = nx.read_graphml(path)
    except Exception as err:  # networkx raises many types for a bad file
        raise InputError(
            f"{path.name}: not readable GraphML ({err})", "give a GraphML file"
        ) from err
    prefix = options.get("prefix", "")
    zone = options.get("zone", "")
    for nid, attrs in graph.nodes(data=True):
        kind = "uplink" if str(attrs.get("Internal", 1)) == "0" else "router"
        env.nodes.setdefault(
            prefix + str(nid),
            Node(prefix + str(nid), kind, str(attrs.get("label", nid)), zone),
        )
    external = [
        prefix + str(n) for n, a in graph.nodes(data=True) if str(a.get("Internal", 1)) == "0"
    ]
    if external and not env.uplinks:
        env.uplinks = tuple(external)  # the Zoo marks peers and upstreams as not internal
    seen: set[frozenset[str]] = set()
    for a, b in graph.edges():
        key = frozenset((a, b))
        if key in seen:
            continue  # a parallel link: the simple graph has one edge
        seen.add(key)
        env.links.append(Link(prefix + str(a), prefix + str(b), "backbone"))
    extent = graph.graph.get("GeoExtent", "")
    env.name = env.name or str(graph.graph.get("Network", path.stem))
    if extent:
        env.problems.append(f"{path.name}: {graph.graph.get('Network', '')} ({extent}) imported")
