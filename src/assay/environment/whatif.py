"""What-if: take vertices away and see what every function can still reach.

A scenario removes a set of vertices: the devices carrying a vulnerability (``isolate``), one
node or device (``fail``), or everything of one vendor (``remove_vendor``). For each function
the result gives the devices serving it that still reach an uplink, before and after.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from assay.environment.cuttree import cut_off, cut_tree
from assay.environment.graph import build_graph
from assay.environment.model import Environment
from assay.errors import UsageError


@dataclass(frozen=True)
class Scenario:
    isolate: tuple[str, ...] = ()  # vulnerability ids or component names (name or name@version)
    fail: tuple[str, ...] = ()  # vertex ids
    remove_vendor: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.isolate or self.fail or self.remove_vendor)


def removed_by(env: Environment, scenario: Scenario) -> dict[str, list[str]]:
    """The vertices each part of the scenario removes (so the output can say why)."""
    out: dict[str, list[str]] = {}
    for item in scenario.isolate:
        hit = sorted(
            d.id
            for d in env.devices.values()
            if any(f.id == item for f in d.findings)
            or any(item in (n, f"{n}@{v}") for n, v in d.components)
        )
        if not hit:
            raise UsageError(
                f"--isolate {item}: no device carries it",
                "give a vulnerability id or component the inventories contain",
            )
        out[f"isolate {item}"] = hit
    known = env.vertex_ids()
    for vid in scenario.fail:
        if vid not in known:
            raise UsageError(f"--fail {vid}: no such device or node", "use an id from the file")
        out[f"fail {vid}"] = [vid]
    for vendor in scenario.remove_vendor:
        low = vendor.lower()
        vendors = {d.id: d.vendor for d in env.devices.values()}
        vendors.update({n.id: n.vendor for n in env.nodes.values()})
        hit = sorted(vid for vid, v in vendors.items() if v.lower() == low)
        if not hit:
            raise UsageError(
                f"--remove-vendor {vendor}: nothing of that vendor",
                "check the vendor names in the environment",
            )
        out[f"remove vendor {vendor}"] = hit
    return out


def what_if(env: Environment, scenario: Scenario) -> dict[str, Any]:
    """Function reachability before and after the scenario."""
    graph = build_graph(env)
    tree = cut_tree(graph)
    parts = removed_by(env, scenario)
    gone = {v for vids in parts.values() for v in vids}
    before = tree.connected
    collateral_set = cut_off(tree, graph, gone)
    after = before - gone - collateral_set
    serving: dict[str, list[str]] = defaultdict(list)
    for d in env.devices.values():
        for f in d.functions or ("(no function)",):
            serving[f].append(d.id)
    functions = {}
    for fid, vids in sorted(serving.items()):
        b = sum(1 for v in vids if v in before)
        a = sum(1 for v in vids if v in after)
        functions[fid] = {
            "criticality": env.function(fid).criticality if fid in env.functions else "unknown",
            "devices": len(vids),
            "reachable_before": b,
            "reachable_after": a,
            "lost": b - a,
            "share_after": round(a / len(vids), 4) if vids else 0.0,
        }
    collateral = sorted(collateral_set)
    return {
        "removed": dict(parts),
        "removed_count": len(gone),
        "collateral_devices": [v for v in collateral if v in env.devices],
        "functions": functions,
    }
