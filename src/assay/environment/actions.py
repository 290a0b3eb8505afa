"""Rank the actions that reduce an environment's risk most, from the analyses' results.

Three kinds of action, scored on the same scale (the weight of the devices they protect):
patch the devices carrying a vulnerability (known-exploited ones doubled), add a second path
around a single point of failure, and replace devices past their support end.
"""

from __future__ import annotations

from typing import Any


def rank(result: dict[str, Any], most: int = 10) -> list[dict[str, Any]]:
    actions: list[dict[str, Any]] = []
    seen_sets: set[tuple[str, ...]] = set()
    for row in result["blast_radius"]:
        if "more" in row:
            continue
        comps = tuple(row["components"])
        if comps in seen_sets:
            continue  # one patch fixes every vulnerability of the same component set
        seen_sets.add(comps)
        affected = row["affected"]
        collateral = row["collateral_if_isolated"]
        score = (affected["weight"] + collateral["weight"]) * (2 if row["kev"] else 1)
        same = [
            r["vulnerability"]
            for r in result["blast_radius"]
            if tuple(r.get("components", ())) == comps
        ]
        actions.append(
            {
                "action": f"patch {', '.join(comps) or 'the firmware'} on {affected['devices']} "
                f"device(s)",
                "score": score,
                "why": f"{len(same)} vulnerabilit{'y' if len(same) == 1 else 'ies'} "
                f"({'known exploited, ' if row['kev'] else ''}e.g. {same[0]}); isolating "
                f"those devices instead would cut off {collateral['devices']} more",
            }
        )
    for spof in result["single_points_of_failure"]:
        if "more" in spof:
            continue
        cut = spof["cuts_off"]
        is_uplink = spof["vertex"] in result["environment"]["uplinks"]
        actions.append(
            {
                "action": f"add a second uplink besides {spof['name']}"
                if is_uplink
                else f"add a second path around {spof['name']} ({spof['kind']})",
                "score": cut["weight"],
                "why": f"it alone connects {cut['devices']} device(s) in "
                f"{', '.join(cut['zones']) or 'no zone'} to the uplink",
            }
        )
    past = result["support_horizon"]["past_support"]
    if past:
        n = sum(past.values())
        actions.append(
            {
                "action": f"replace or renew support for {n} device(s) past their support end",
                "score": n,
                "why": "no security updates are promised for them any more (zones: "
                + ", ".join(past)
                + ")",
            }
        )
    actions.sort(key=lambda a: (-a["score"], a["action"]))
    return actions[:most]
