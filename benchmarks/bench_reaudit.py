"""Incremental re-audit of a large registry after a feed change, against re-matching everything.

    .venv/bin/python benchmarks/bench_reaudit.py [--firmware 100000] [--inventories 5000]
                                                 [--changed 1000] [--work DIR] [--sample 200]

Setup (not timed): a vulnerability store with the 80,844 NVD records published 2002-2016
(../shared/data/vulns/nvd/yearly; kept in --work between runs); a registry (SQLite) of
--firmware firmware versions of --firmware/5 products whose component inventories are drawn
from real package lists: the bundled OpenWrt 12.09 image's opkg database, the Laird SOM60
Buildroot manifest, Buildroot's show-info package list and the Raspberry Pi Buildroot
manifest (../shared/data/sbom/buildroot-manifests). Each of --inventories distinct inventories
drops about 10% of its base list's packages and takes, for about 10% of the rest, a version of
the same package seen in another list; each firmware gets one of them at random (identical
builds shipped under several products or hardware revisions).

Timed: (1) importing the first --changed CVE-2023/2024 records (--feed fresh) or the first
--changed records as published (--feed modified) of the NVD "modified" feed of 2024-10-25 as
a new store revision, then ``reaudit()``; (2) a full re-match
(``match_components`` against the whole store) of --sample random firmware, extrapolated to
all firmware and to all distinct inventories.
"""

from __future__ import annotations

import argparse
import csv
import json
import lzma
import os
import random
import shutil
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from assay.accountability import audit_tables as a
from assay.accountability.enroll import component_of, identity_of, inventory_for
from assay.accountability.reaudit import reaudit
from assay.registry import Registry
from assay.registry import tables as t
from assay.vulns.matching import match_components
from assay.vulns.store import Store

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
IMAGE = ROOT / "data" / "firmware" / "openwrt-12.09-tl-wr703n-v1-squashfs-factory.bin.xz"
MANIFESTS = SHARED / "sbom" / "buildroot-manifests"
YEARLY = SHARED / "vulns" / "nvd" / "yearly"
MODIFIED = SHARED / "vulns" / "nvd" / "modified" / "nvdcve-modified-2024-10-25.json.xz"


def opkg_list(work: Path) -> tuple[list[dict[str, Any]], dict[str, str]]:
    image = work / "wr703n.bin"
    with lzma.open(IMAGE) as src, image.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    dest = work / "rootfs"
    subprocess.run(
        [
            "unsquashfs",
            "-no-progress",
            "-no-exit-code",
            "-o",
            str(0xE9CAC),
            "-d",
            str(dest),
            str(image),
        ],
        check=True,
        capture_output=True,
    )
    comps, cur = [], {}
    for line in (dest / "usr/lib/opkg/status").read_text().splitlines() + [""]:
        if not line.strip():
            if cur:
                name, version = cur["Package"], cur["Version"]
                comps.append(
                    {
                        "name": name,
                        "version": version,
                        "type": "application",
                        "purl": f"pkg:opkg/openwrt/{name}@{version}",
                        "cpe": "",
                        "found_by": ["opkg-db"],
                    }
                )
            cur = {}
        elif ":" in line:
            key, _, value = line.partition(":")
            cur[key.strip()] = value.strip()
    kernel = next((dest / "lib/modules").iterdir()).name
    comps.append(
        {
            "name": "linux",
            "version": kernel,
            "type": "operating-system",
            "purl": "",
            "cpe": f"cpe:2.3:o:linux:linux_kernel:{kernel}:*:*:*:*:*:*:*",
            "found_by": ["kernel"],
        }
    )
    return comps, {"os_name": "OpenWrt", "os_version": "12.09", "kernel_version": kernel}


def manifest_list(path: Path) -> list[dict[str, Any]]:
    with path.open(newline="") as fh:
        return [
            {
                "name": row["PACKAGE"],
                "version": row["VERSION"],
                "type": "application",
                "purl": "",
                "cpe": "",
                "found_by": ["buildroot-manifest"],
            }
            for row in csv.DictReader(fh)
            if row.get("VERSION")
        ]


def show_info_list(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text())
    out = []
    for name, info in data.items():
        cpe = str(info.get("cpe-id") or "")
        if info.get("version"):
            out.append(
                {
                    "name": name,
                    "version": str(info["version"]),
                    "type": "application",
                    "purl": "",
                    "cpe": cpe if cpe.startswith("cpe:2.3:") else "",
                    "found_by": ["buildroot-show-info"],
                }
            )
    return out


def inventories(
    bases: list[tuple[list[dict[str, Any]], dict[str, str]]], count: int, rng: random.Random
) -> list[dict[str, Any]]:
    pool: dict[str, set[str]] = {}
    for comps, _ in bases:
        for c in comps:
            pool.setdefault(c["name"], set()).add(c["version"])
    out, seen = [], set()
    while len(out) < count:
        comps, ident = rng.choice(bases)
        chosen = []
        for c in comps:
            if rng.random() < 0.10:
                continue
            c = dict(c)
            others = sorted(pool[c["name"]] - {c["version"]})
            if others and rng.random() < 0.10:
                c["version"] = rng.choice(others)
                if c["purl"]:
                    c["purl"] = c["purl"].rsplit("@", 1)[0] + "@" + c["version"]
            chosen.append(c)
        key = json.dumps(chosen, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        out.append({"components": chosen, "identity": {**ident, "model": f"M{len(out)}"}})
    return out


def base_store(work: Path) -> Path:
    path = work / "nvd-2002-2016.sqlite"
    if not path.exists():
        started = time.perf_counter()
        store = Store.open(path, create=True)
        store.import_paths(sorted(YEARLY.glob("nvdcve-*.json.xz")))
        store.close()
        print(f"setup: imported the NVD yearly files in {time.perf_counter() - started:.0f} s")
    return path


def change_feed(work: Path, count: int, kind: str) -> Path:
    data = json.loads(lzma.decompress(MODIFIED.read_bytes()))
    records = data["vulnerabilities"]
    if kind == "fresh":
        # records the 2002-2016 corpus does not hold (CVE-2023-*/2024-*): each one is a change
        records = [v for v in records if v["cve"]["id"][4:8] >= "2023"]
    data["vulnerabilities"] = records[:count]
    data["resultsPerPage"] = data["totalResults"] = len(data["vulnerabilities"])
    path = work / f"modified-first-{count}.json"
    path.write_text(json.dumps(data))
    return path


def build_registry(
    url: str, invs: list[dict[str, Any]], firmware: int, revision: int, rng: random.Random
) -> None:
    registry = Registry.open(url)
    a.ensure_tables(registry.engine)
    now = datetime.now(UTC)
    products = firmware // 5
    with registry.sessions.begin() as session:
        inv_ids = [inventory_for(session, inv, revision) for inv in invs]
        session.execute(
            insert(t.Manufacturer),
            [
                {"id": m + 1, "name": f"Maker {m}", "slug": f"maker-{m}", "created": now}
                for m in range(50)
            ],
        )
        session.execute(
            insert(t.Product),
            [
                {
                    "id": p + 1,
                    "manufacturer_id": p % 50 + 1,
                    "name": f"Product {p}",
                    "model": f"P{p}",
                    "hardware_version": "",
                    "slug": f"product-{p}",
                    "created": now,
                    "updated": now,
                }
                for p in range(products)
            ],
        )
        session.execute(
            insert(t.Firmware),
            [
                {"id": f + 1, "product_id": f // 5 + 1, "version": f"1.{f % 5}", "created": now}
                for f in range(firmware)
            ],
        )
        session.execute(
            insert(a.AuditedFirmware),
            [
                {
                    "firmware_id": f + 1,
                    "assessment_id": 0,
                    "inventory_id": rng.choice(inv_ids),
                    "product_id": f // 5 + 1,
                    "enrolled": now,
                }
                for f in range(firmware)
            ],
        )
    registry.close()


def postgres_database(server: str) -> str:
    """A new, empty database on the server; its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"assay_bench_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def drop_database(server: str, url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firmware", type=int, default=100_000)
    parser.add_argument("--inventories", type=int, default=5_000)
    parser.add_argument("--changed", type=int, default=1_000)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument(
        "--feed",
        choices=("fresh", "modified"),
        default="fresh",
        help="fresh: the first CVE-2023/2024 records (all new); modified: the first records of "
        "the modified feed as published (new and updated records, some identical)",
    )
    parser.add_argument("--profile", action="store_true", help="print the re-audit's profile")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default="",
        help="keep the registry in a new database on this PostgreSQL server (dropped at the "
        "end), e.g. the one scripts/pg-ensure.sh prints; default: SQLite",
    )
    args = parser.parse_args()
    rng = random.Random(20261127)
    work = args.work or Path(tempfile.mkdtemp(prefix="assay-bench-reaudit-"))
    work.mkdir(parents=True, exist_ok=True)
    run = Path(tempfile.mkdtemp(prefix="run-", dir=work))
    bases = [
        opkg_list(run),
        (manifest_list(MANIFESTS / "manifest.csv"), {"os_name": "Buildroot"}),
        (show_info_list(MANIFESTS / "cpe_data_pp.json"), {"os_name": "Buildroot"}),
        (
            manifest_list(MANIFESTS / "raspi_manifest.csv")
            + manifest_list(MANIFESTS / "manifest.csv")[:40],
            {"os_name": "Buildroot"},
        ),
    ]
    print("base package lists:", [len(b[0]) for b in bases])
    store_path = run / "vulns.sqlite"
    shutil.copy(base_store(work), store_path)
    store = Store.open(store_path)
    started = time.perf_counter()
    invs = inventories(bases, args.inventories, rng)
    url = f"sqlite:///{run / 'registry.sqlite'}"
    if args.postgres:
        url = postgres_database(args.postgres)
    build_registry(url, invs, args.firmware, store.revision(), rng)
    print(
        f"setup: registry of {args.firmware} firmware, {len(invs)} distinct inventories "
        f"in {time.perf_counter() - started:.0f} s"
    )

    feed = change_feed(run, args.changed, args.feed)
    started = time.perf_counter()
    imported = store.import_paths([feed])
    import_s = time.perf_counter() - started
    registry = Registry.open(url)
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        report = profiler.runcall(reaudit, registry, store)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    else:
        report = reaudit(registry, store)
    counts = report.counts()
    print(
        f"feed change: {len(imported.changed)} records imported in {import_s:.1f} s "
        f"(store revision {store.revision()})"
    )
    with registry.sessions() as session:
        rows = session.scalar(select(func.count()).select_from(a.Finding))
    print(
        f"re-audit: {report.seconds:.2f} s (matching {report.match_seconds:.2f} s); "
        f"{report.firmware_rematched} of {report.firmware_audited} firmware re-matched "
        f"({report.inventories_rematched} match computations); changes {counts} in "
        f"{len(report.changes)} inventory findings ({rows} rows written)"
    )

    sample = rng.sample(invs, min(args.sample, len(invs)))
    started = time.perf_counter()
    for inv in sample:
        comps = [component_of(c) for c in inv["components"]]
        match_components(comps, store, identity_of(inv["identity"]))
    per = (time.perf_counter() - started) / len(sample)
    full_all, full_inv = per * args.firmware, per * len(invs)
    print(
        f"full re-match: {per * 1000:.1f} ms per firmware -> {full_all:.0f} s for all "
        f"{args.firmware} firmware, {full_inv:.0f} s for the {len(invs)} distinct inventories"
    )
    print(
        f"speed-up: {full_all / report.seconds:.0f}x against re-matching every firmware, "
        f"{full_inv / report.seconds:.1f}x against re-matching every distinct inventory"
    )
    registry.close()
    store.close()
    shutil.rmtree(run, ignore_errors=True)
    if args.postgres:
        drop_database(args.postgres, url)


if __name__ == "__main__":
    main()
