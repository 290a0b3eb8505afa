"""Portfolio search on a large registry: 10,000 products × 100 components (issue 15 target:
under 100 ms p95 on SQLite and on PostgreSQL).

    .venv/bin/python benchmarks/bench_search.py [--products 10000] [--postgres URL]

The registry is filled with SQL bulk inserts (not through ``Registry.add``, which would take
an hour): each product has one firmware whose latest assessment holds 100 components: the
bundled image's 80 real packages (name, version, PURL, the CPE Assay maps it to; dnsmasq's
version varied per product) and 20 of them again under an "-extra" name; and 20 vulnerability
rows. On PostgreSQL the filled tables are then vacuumed and analysed, as autovacuum does with
them soon after such a load (without it the first minutes read every row's heap page and plan
without statistics); SQLite needs nothing of the kind.
Then each query kind runs 30 times and the median and 95th percentile are printed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, text

from assay.accountability.portfolio import Query, search
from assay.catalog.cpe_map import cpe_for_package
from assay.registry import Registry
from assay.registry import tables as t
from assay.vulns.versions import upstream_version
from wr703n import unpack_rootfs


def packages() -> list[tuple[str, str]]:
    with tempfile.TemporaryDirectory() as work:
        root = unpack_rootfs(Path(work))
        out = []
        for control in sorted((root / "usr/lib/opkg/info").glob("*.control")):
            fields = {
                k.strip(): v.strip()
                for k, _, v in (line.partition(":") for line in control.read_text().splitlines())
                if v
            }
            out.append((fields["Package"], fields["Version"]))
        return out


def hundred(pkgs: list[tuple[str, str]], rng: random.Random) -> list[tuple[str, str]]:
    """100 components: the image's packages (80), topped up with "-extra" namesakes."""
    out = rng.sample(pkgs, min(100, len(pkgs)))
    out += [(f"{n}-extra", v) for n, v in rng.sample(pkgs, 100 - len(out))]
    return out


def fill(registry: Registry, products: int, pkgs: list[tuple[str, str]]) -> None:
    rng = random.Random(3)
    now = datetime.now(UTC)
    engine = registry.engine
    with engine.begin() as con:
        con.execute(
            insert(t.Manufacturer),
            [
                {"id": m + 1, "name": f"Maker {m}", "slug": f"maker-{m}", "created": now}
                for m in range(100)
            ],
        )
        con.execute(
            insert(t.Product),
            [
                {
                    "id": p + 1,
                    "manufacturer_id": p % 100 + 1,
                    "name": f"Device {p}",
                    "model": f"M{p}",
                    "hardware_version": "",
                    "slug": f"maker-{p % 100}-m{p}",
                    "created": now,
                    "updated": now,
                    "latest_assessment_id": p + 1,
                    "firmware_version": "1.0",
                    "level": 1,
                    "kev_count": 0,
                    "support_until": "",
                    "search_text": f"maker {p % 100} device {p}",
                }
                for p in range(products)
            ],
        )
        con.execute(
            insert(t.Firmware),
            [
                {
                    "id": p + 1,
                    "product_id": p + 1,
                    "version": "1.0",
                    "file_name": "",
                    "sha256": f"{p:064x}",
                    "size": 0,
                    "created": now,
                    "latest_assessment_id": p + 1,
                    "listing_key": t.listing_key(
                        f"Maker {p % 100}", f"maker-{p % 100}-m{p}", "1.0"
                    ),
                }
                for p in range(products)
            ],
        )
        con.execute(
            insert(t.AssessmentRow),
            [
                {
                    "id": p + 1,
                    "firmware_id": p + 1,
                    "tool_version": "",
                    "assessed": "",
                    "stored": now,
                    "level": 1,
                    "kev_count": 0,
                    "vulnerability_count": 20,
                    "document": {},
                }
                for p in range(products)
            ],
        )
        batch = []
        for p in range(products):
            for name, version in hundred(pkgs, rng):
                if name == "dnsmasq":
                    version = rng.choice(["2.62-2", "2.66-3", "2.78-4", "2.80-1"])
                batch.append(
                    {
                        "assessment_id": p + 1,
                        "name": name,
                        "version": version,
                        "type": "application",
                        "purl": f"pkg:opkg/openwrt/{name}@{version}",
                        "cpe": cpe_for_package(name, upstream_version(version)),
                    }
                )
            if len(batch) > 50_000:
                con.execute(insert(t.ComponentRow), batch)
                batch = []
        if batch:
            con.execute(insert(t.ComponentRow), batch)
        con.execute(
            insert(t.VulnerabilityRow),
            [
                {
                    "assessment_id": p + 1,
                    "vuln_id": f"CVE-2016-{rng.randrange(1000, 1100)}",
                    "component": "",
                    "severity": "high",
                    "cvss_score": 7.5,
                    "kev": rng.random() < 0.05,
                    "epss": 0.1,
                }
                for p in range(products)
                for _ in range(20)
            ],
        )


def settle(registry: Registry) -> None:
    """What autovacuum does soon after a bulk load (PostgreSQL only)."""
    if registry.engine.dialect.name != "postgresql":
        return
    tables = "components, vulnerabilities, assessments, firmware, products, manufacturers"
    with registry.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as con:
        con.execute(text(f"VACUUM ANALYZE {tables}"))


def measure(registry: Registry) -> None:
    queries = {
        "component range dnsmasq<2.78": Query(component="dnsmasq<2.78"),
        "CVE id": Query(cve="CVE-2016-1050"),
        "PURL": Query(purl="pkg:opkg/openwrt/dropbear"),
        "CPE prefix": Query(cpe="cpe:2.3:a:thekelleys:dnsmasq"),
        "known exploited": Query(kev=True),
    }
    for label, query in queries.items():
        times = []
        for _ in range(30):
            started = time.perf_counter()
            found = search(registry, query, limit=50)
            times.append(time.perf_counter() - started)
        times.sort()
        print(
            f"  {label:<30} {found['total']:>6} firmware   median "
            f"{statistics.median(times) * 1000:6.1f} ms   p95 {times[28] * 1000:6.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--postgres", default=None, help="an empty PostgreSQL database URL")
    args = parser.parse_args()
    pkgs = packages()
    with tempfile.TemporaryDirectory() as work:
        for label, url in (
            ("SQLite", f"sqlite:///{work}/registry.sqlite"),
            ("PostgreSQL", args.postgres),
        ):
            if url is None:
                continue
            with Registry.open(url) as registry:
                started = time.perf_counter()
                fill(registry, args.products, pkgs)
                settle(registry)
                print(
                    f"{label}: {args.products:,} products x 100 components filled in "
                    f"{time.perf_counter() - started:.1f} s"
                )
                measure(registry)


if __name__ == "__main__":
    main()
