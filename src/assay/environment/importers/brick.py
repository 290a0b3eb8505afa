"""Brick Schema building models (Turtle): equipment and what feeds what.

Every subject with a ``feeds`` or ``isFedBy`` relation becomes a device of the building (its
Brick class is its product: ``AHU``, ``VAV``...), serving the ``hvac`` function unless its class
says otherwise; each relation becomes a ``feeds`` link. Equipment that nothing feeds is where
supply starts (an air handler, a chiller): those are the uplinks, so "loses its path to an
uplink" reads "loses its supply". Brick's namespace changed between versions, so relations are
recognised by their local name.
"""

from __future__ import annotations

import lzma
from pathlib import Path
from typing import Any

from assay.environment.model import Device, Environment, Function, Link, Node
from assay.errors import InputError

FUNCTION_OF = {
    "ahu": "hvac",
    "vav": "hvac",
    "chiller": "hvac",
    "boiler": "hvac",
    "luminaire": "lighting",
    "lighting": "lighting",
    "meter": "metering",
    "pv": "energy",
    "solar": "energy",
    "evse": "ev-charging",
}


def merge(env: Environment, path: Path, options: dict[str, Any]) -> None:
    import rdflib  # a heavy import: only when a Brick model is read

    data = path.read_bytes()
    if path.suffix == ".xz":
        data = lzma.decompress(data)
    graph = rdflib.Graph()
    try:
        graph.parse(data=data, format="turtle")
    except Exception as err:  # rdflib raises parser-specific types
        raise InputError(f"{path.name}: not readable Turtle ({err})", "give a Brick .ttl") from err
    zone = str(options.get("zone", ""))
    edges: set[tuple[str, str]] = set()
    for s, p, o in graph:
        name = _local(str(p))
        if name == "feeds":
            edges.add((str(s), str(o)))
        elif name == "isFedBy":
            edges.add((str(o), str(s)))
    kinds = {str(s): _local(str(o)) for s, p, o in graph if _local(str(p)) == "type"}
    fed = {b for _, b in edges}
    for vid in sorted({x for e in edges for x in e}):
        kind = kinds.get(vid, "Equipment")
        if _is_space(kind):
            env.nodes.setdefault(vid, Node(vid, "space", _local(vid), zone))
            continue
        function = _function(kind)
        env.functions.setdefault(function, Function(function, function, "medium"))
        env.devices.setdefault(
            vid,
            Device(
                id=vid,
                name=_local(vid),
                zone=zone,
                product=kind,
                source=path.name,
                functions=(function,),
            ),
        )
    env.links.extend(Link(a, b, "feeds") for a, b in sorted(edges))
    roots = sorted({a for a, _ in edges} - fed - set(env.nodes))
    env.uplinks = tuple(dict.fromkeys((*env.uplinks, *roots)))


def _is_space(kind: str) -> bool:
    """Zones, rooms and floors are served, not serving: they are not devices."""
    return kind.endswith(("Zone", "Room", "Space", "Floor", "Building")) or kind == "Location"


def _function(kind: str) -> str:
    low = kind.lower()
    return next((f for key, f in FUNCTION_OF.items() if key in low), "building")


def _local(uri: str) -> str:
    return uri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
