"""Exposure analyses: how concentrated an environment is, and how far a vulnerability reaches.

Devices of one product share one inventory, so both analyses work on *cohorts* (devices with
the same components and findings) rather than device by device: a city of a million devices
holds a few dozen distinct inventories.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from assay.environment.cuttree import cut_off
from assay.environment.model import Environment

if TYPE_CHECKING:
    from assay.environment.analyze import Context

TOP = 100


def cohorts(env: Environment) -> dict[int, list[str]]:
    """Device ids grouped by inventory. Devices loaded from one assessment share its tuples, so
    the tuples' identity is the key (hashing a thousand findings per device would dominate a
    city-sized analysis); equal inventories held in distinct tuples only make more groups."""
    keys: dict[tuple[int, int], int] = {}
    groups: dict[int, list[str]] = defaultdict(list)
    for d in env.devices.values():
        key = (id(d.components), id(d.findings))
        groups[keys.setdefault(key, len(keys))].append(d.id)
    return groups


def concentration(env: Environment) -> dict[str, Any]:
    """Herfindahl–Hirschman index (sum of squared shares, 0..1) with the top contributors, for
    vendors, cloud providers, and the versions of each shared component."""
    devices = list(env.devices.values())
    critical = [d for d in devices if any(env.function(f).weight >= 4 for f in d.functions)]
    clouds = {sid for sid, svc in env.services.items() if svc.kind == "cloud"}
    providers: Counter[str] = Counter()
    per_provider: Counter[str] = Counter()
    for d in devices:
        names = [
            env.services[s].provider or env.services[s].endpoint or s
            for s in d.services
            if s in clouds
        ]
        providers.update(names)
        per_provider.update(set(names))
    versions: dict[str, Counter[str]] = defaultdict(Counter)
    carriers: Counter[str] = Counter()
    for ids in cohorts(env).values():
        inventory = set(env.devices[ids[0]].components)
        for name, version in inventory:
            versions[name][version] += len(ids)
            carriers[f"{name}@{version}"] += len(ids)
    monocultures: list[dict[str, Any]] = []
    for name, counter in versions.items():
        total = sum(counter.values())
        if total >= 2:
            monocultures.append({"component": name, "devices": total, **hhi(counter)})
    monocultures.sort(key=lambda r: (-r["devices"] * r["hhi"], r["component"]))
    n = len(devices)
    return {
        "vendors": hhi(Counter(d.vendor or "(unknown)" for d in devices)),
        "critical_function_vendors": hhi(Counter(d.vendor or "(unknown)" for d in critical)),
        "cloud_providers": {
            **hhi(providers),
            "devices_per_provider": dict(per_provider.most_common(20)),
        },
        "component_versions": monocultures[:20],
        "most_shared": [
            {"component": c, "devices": k, "share": round(k / n, 4)}
            for c, k in carriers.most_common(10)
        ]
        if n
        else [],
    }


def hhi(counter: Counter[str]) -> dict[str, Any]:
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


def blast_radius(ctx: Context) -> list[dict[str, Any]]:
    """Per vulnerability: the devices that carry it, and the others that lose their uplink
    if those devices are isolated (taken off the network until patched) or fail. Known
    exploited first, then by the weight reached."""
    from assay.environment.analyze import impact

    env = ctx.env
    groups = cohorts(env)
    carried: dict[str, set[int]] = defaultdict(set)
    kev: dict[str, bool] = {}
    component: dict[str, set[str]] = defaultdict(set)
    for gid, ids in groups.items():
        for f in env.devices[ids[0]].findings:
            carried[f.id].add(gid)
            kev[f.id] = kev.get(f.id, False) or f.kev
            component[f.id].add(f.component)
    cache: dict[frozenset[int], tuple[dict[str, Any], dict[str, Any]]] = {}
    rows: list[dict[str, Any]] = []
    for vid, gids in carried.items():
        key = frozenset(gids)
        if key not in cache:
            affected = {d for g in key for d in groups[g]}
            collateral = cut_off(ctx.tree, ctx.graph, affected)
            cache[key] = (impact(ctx, affected), impact(ctx, collateral))
        hit, collateral_impact = cache[key]
        rows.append(
            {
                "vulnerability": vid,
                "kev": kev[vid],
                "components": sorted(component[vid]),
                "affected": hit,
                "collateral_if_isolated": collateral_impact,
            }
        )
    rows.sort(
        key=lambda r: (
            not r["kev"],
            -(r["affected"]["weight"] + r["collateral_if_isolated"]["weight"]),
            r["vulnerability"],
        )
    )
    return rows[:TOP] + ([{"more": len(rows) - TOP}] if len(rows) > TOP else [])


def blast_radius_of(ctx: Context, vuln: str, carriers: set[str] | None = None) -> dict[str, Any]:
    """One vulnerability's blast radius, for an incremental update after a re-audit: only
    the devices that carry it (``carriers``, when the re-audit already knows them) and what
    hangs below them in the block-cut tree are looked at."""
    from assay.environment.analyze import impact

    env = ctx.env
    if carriers is None:
        carriers = {d.id for d in env.devices.values() if any(f.id == vuln for f in d.findings)}
    findings = [f for v in carriers for f in env.devices[v].findings[-8:] if f.id == vuln][:1]
    hit = findings[0] if findings else None
    return {
        "vulnerability": vuln,
        "kev": bool(hit and hit.kev),
        "components": [hit.component] if hit else [],
        "affected": impact(ctx, carriers),
        "collateral_if_isolated": impact(ctx, cut_off(ctx.tree, ctx.graph, carriers)),
    }
