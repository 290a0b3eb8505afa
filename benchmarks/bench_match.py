"""Time matching the WR703N inventory against a vulnerability store.

    .venv/bin/python benchmarks/bench_match.py --db STORE [--assessment assessment.json]
                                               [--repeat N]

STORE: a store with the full corpus (make one with benchmarks/bench_feeds.py --keep PATH),
or omit --db to use the bundled snapshot. With --db the bundled snapshot is layered under the
store, as ``assay scan`` does. The inventory is the components of an
``assessment.json`` written by ``assay scan --json`` (opkg packages plus signature hits), or
without one, a component for each opkg package of the bundled image (read from
/usr/lib/opkg/info/*.control after unpacking it with unsquashfs, not timed). Start-up (opening
the store, loading the data tables) is timed apart from matching.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from assay.model.component import Component
from assay.model.identity import Identity
from wr703n import unpack_rootfs

IDENTITY = Identity(os_name="OpenWrt", os_version="12.09", os_id="openwrt", kernel_version="3.3.8")


def opkg_inventory(work: Path) -> list[Component]:
    root = unpack_rootfs(work, "root")
    components = []
    for control in sorted((root / "usr/lib/opkg/info").glob("*.control")):
        fields = {
            k.strip(): v.strip()
            for k, _, v in (line.partition(":") for line in control.read_text().splitlines())
            if v
        }
        name, version = fields["Package"], fields["Version"]
        purl = f"pkg:opkg/openwrt/{name}@{version}?arch={fields.get('Architecture', '')}"
        components.append(Component(name, version, purl=purl, found_by=("opkg-db",)))
    return components


def from_assessment(path: Path) -> tuple[list[Component], Identity]:
    data = json.loads(path.read_text())
    comps = [
        Component(
            name=c["name"],
            version=c["version"],
            type=c["type"],
            purl=c["purl"],
            cpe=c["cpe"],
            found_by=tuple(c["found_by"]),
        )
        for c in data["components"]
    ]
    ident = data.get("identity", {})
    fields = {k: ident.get(k, "") for k in ("os_name", "os_version", "os_id", "kernel_version")}
    fields.update(vendor=ident.get("vendor", ""), model=ident.get("model", ""))
    return comps, Identity(**fields)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--assessment", type=Path)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    print(f"cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    if args.assessment:
        components, identity = from_assessment(args.assessment)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            components, identity = opkg_inventory(Path(tmp)), IDENTITY
    start = time.perf_counter()
    from assay.vulns import match_components, open_store
    from assay.vulns.keys import alias_table, package_table
    from assay.vulns.layers import snapshot_fallback

    store = open_store(args.db)
    fallback = snapshot_fallback(store)  # as assay scan does: the snapshot under the store
    alias_table(), package_table()
    print(f"start-up (import, open {store.origin}): {(time.perf_counter() - start) * 1000:.0f} ms")
    print(f"store: {store.location}, {store.count()} records")
    times, cpu = [], []
    matches = []
    for _ in range(args.repeat):
        start, cpu_start = time.perf_counter(), time.process_time()
        matches = match_components(components, store, identity, fallback=fallback)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - cpu_start) * 1000)
    print(f"{len(components)} components, {len(matches)} matches")
    print(
        f"matching: first {times[0]:.0f} ms, median {statistics.median(times):.0f} ms, "
        f"min {min(times):.0f} ms over {len(times)} runs"
    )
    print(f"CPU time: first {cpu[0]:.0f} ms, median {statistics.median(cpu):.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
