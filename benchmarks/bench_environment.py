"""Time the environment analyses on a city-sized synthetic environment.

    .venv/bin/python benchmarks/bench_environment.py [--devices 1000000] [--assessment A.json]

The city: the Kentucky Datalink backbone (the Topology Zoo's largest real network, 754 nodes,
read from ../shared/data/environments) with its three best-connected nodes as uplinks; one
gateway per 100 devices, each in its own zone, hung off a backbone node (one in five gateways
dual-homed to a second one); devices drawn from real profiles: cameras running the bundled
OpenWrt image's real inventory and vulnerabilities (its assessment.json; made with `assay scan`
when not given), and plugs, bulbs, hubs and TVs whose cloud dependencies come from the real
MUD files of ../shared/data/environments/mud-by-location; one camera in twenty forwards for two
door readers (critical) that have no other path. Prints the time of each step and the peak
resident memory; the target (issue 17) is under 60 s and 4 GB for a million devices.

Then it measures an incremental update: one new known-exploited vulnerability lands on one
product (what a re-audit reports); only that vulnerability's blast radius is computed again.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import networkx as nx

from assay.environment.analyze import Context, analyze
from assay.environment.exposure import blast_radius_of
from assay.environment.importers.mud import endpoints, provider
from assay.environment.inventory import from_document
from assay.environment.model import Device, Environment, Finding, Function, Link, Node, Service

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data" / "environments"
IMAGE = ROOT / "data" / "firmware" / "openwrt-12.09-tl-wr703n-v1-squashfs-factory.bin.xz"
DECLARATION = ROOT / "data" / "declarations" / "openwrt-wr703n.sample.yaml"
FUNCTIONS = {
    "video": "medium",
    "access": "critical",
    "lighting": "low",
    "hvac": "high",
    "entertainment": "low",
    "home-automation": "medium",
}


def camera_inventory(path: Path | None) -> tuple[tuple[tuple[str, str], ...], tuple[Finding, ...]]:
    if path is None:
        out = Path(tempfile.mkdtemp()) / "scan"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "assay",
                "scan",
                str(IMAGE),
                "--declaration",
                str(DECLARATION),
                "--out",
                str(out),
                "--quiet",
            ],
            check=True,
            capture_output=True,
        )
        path = out / "assessment.json"
    components, findings, _ = from_document(json.loads(path.read_text()))
    return components, findings


def mud_profiles() -> list[tuple[str, str, list[str]]]:
    """(kind, function, cloud endpoints) for each real MUD file."""
    out = []
    for file in sorted((SHARED / "mud-by-location" / "mud").rglob("*.json")):
        names, _ = endpoints(json.loads(file.read_text()))
        kind = file.parent.name
        function = (
            "entertainment"
            if any(k in kind for k in ("tv", "echo", "google"))
            else "lighting"
            if "bulb" in kind or "strip" in kind
            else "home-automation"
        )
        out.append((kind, function, sorted(names)))
    return out


def city(
    devices: int, camera: tuple[tuple[tuple[str, str], ...], tuple[Finding, ...]], seed: int = 7
) -> Environment:
    rng = random.Random(seed)
    backbone = nx.Graph(nx.read_graphml(SHARED / "topology-zoo" / "graphml" / "Kdl.graphml"))
    env = Environment(name=f"city of {devices:,} devices on Kentucky Datalink")
    for fid, crit in FUNCTIONS.items():
        env.functions[fid] = Function(fid, fid, crit)
    for n in backbone.nodes:
        env.nodes[f"bb{n}"] = Node(f"bb{n}", "router", f"backbone {n}")
    env.links.extend(Link(f"bb{a}", f"bb{b}", "backbone") for a, b in backbone.edges)
    top = sorted(backbone.degree, key=lambda nd: -nd[1])[:3]
    env.uplinks = tuple(f"bb{n}" for n, _ in top)
    profiles = mud_profiles()
    for _, _, names in profiles:
        for name in names:
            env.services.setdefault(name, Service(name, name, "cloud", provider(name)))
    bb = list(env.nodes)
    cam_components, cam_findings = camera
    gateways = max(1, devices // 100)
    made = 0
    for g in range(gateways):
        gw, zone = f"gw{g}", f"z{g}"
        env.nodes[gw] = Node(gw, "gateway", gw, zone, rng.choice(["NetCo", "RouteIt", "Linkly"]))
        env.links.append(Link(gw, rng.choice(bb), "fibre"))
        if rng.random() < 0.2:
            env.links.append(Link(gw, rng.choice(bb), "fibre"))
        for _ in range(100):
            if made >= devices:
                break
            did = f"d{made}"
            made += 1
            if rng.random() < 0.3:
                env.devices[did] = Device(
                    did,
                    zone=zone,
                    vendor="TP-Link",
                    product="camera",
                    components=cam_components,
                    findings=cam_findings,
                    functions=("video",),
                )
                env.links.append(Link(did, gw, "ethernet"))
                if rng.random() < 0.05 and made + 2 <= devices:
                    for _ in range(2):
                        rid = f"d{made}"
                        made += 1
                        env.devices[rid] = Device(
                            rid,
                            zone=zone,
                            vendor="Acme Doors",
                            product="reader",
                            functions=("access",),
                        )
                        env.links.append(Link(rid, did, "ethernet"))
                continue
            kind, function, names = rng.choice(profiles)
            env.devices[did] = Device(
                did,
                zone=zone,
                vendor=kind.split("_")[0],
                product=kind,
                functions=(function,),
                services=tuple(names),
            )
            env.links.append(Link(did, gw, "wifi"))
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1_000_000)
    parser.add_argument("--assessment", type=Path, default=None)
    args = parser.parse_args()
    camera = camera_inventory(args.assessment)
    t0 = time.perf_counter()
    env = city(args.devices, camera)
    t1, c1 = time.perf_counter(), time.process_time()
    ctx = Context.of(env)
    result = analyze(env, ctx=ctx)
    t2, c2 = time.perf_counter(), time.process_time()
    # what a re-audit reports: a new known-exploited CVE on the cameras' firmware
    victims = {d.id for d in env.devices.values() if d.product == "camera"}
    new = Finding("CVE-2099-0001", "busybox@1.19.4", kev=True, severity="critical")
    findings = (*camera[1], new)
    t3, c3 = time.perf_counter(), time.process_time()
    for vid in victims:
        env.devices[vid] = replace(env.devices[vid], findings=findings)
    row = blast_radius_of(ctx, new.id, victims)
    t4, c4 = time.perf_counter(), time.process_time()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"devices {len(env.devices):,}, nodes {len(env.nodes):,}, links {len(env.links):,}")
    print(f"build the environment      {t1 - t0:7.2f} s")
    print(f"analyze (all analyses)     {t2 - t1:7.2f} s wall, {c2 - c1:6.2f} s CPU  target < 60 s")
    affected = row["affected"]["devices"]
    collateral = row["collateral_if_isolated"]["devices"]
    print(
        f"incremental: one new KEV   {t4 - t3:7.2f} s wall, {c4 - c3:6.2f} s CPU  "
        f"({affected:,} devices, {collateral:,} collateral)"
    )
    print(f"machine load average       {os.getloadavg()[0]:7.1f}")
    print(f"peak resident memory       {peak:7.0f} MB  target < 4096 MB")
    spof = next(r for r in result["single_points_of_failure"] if "vertex" in r)
    print(f"top single point of failure: {spof['name']} ({spof['cuts_off']['devices']:,} devices)")


if __name__ == "__main__":
    main()
