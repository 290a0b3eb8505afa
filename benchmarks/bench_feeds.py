"""Time importing the NVD corpus into a fresh store (the 80,844 records published 2002-2016).

    .venv/bin/python benchmarks/bench_feeds.py [--with-modified] [--keep PATH] [--repeat N]

Reads the 15 yearly NVD API 2.0 files in ../shared/data/vulns/nvd/yearly (and the 4 modified
feeds with --with-modified), imports them in one transaction into a new SQLite store, then
re-imports them into the same store (nothing changes: the cost of an idempotent re-import).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

from assay.vulns.store import Store

ROOT = Path(__file__).resolve().parent.parent
NVD = ROOT.parent / "shared" / "data" / "vulns" / "nvd"


def _cpu() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--with-modified", action="store_true")
    parser.add_argument("--keep", type=Path, help="write the store here instead of a temp dir")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    files = sorted((NVD / "yearly").glob("nvdcve-*.json.xz"))
    if args.with_modified:
        files += sorted((NVD / "modified").glob("nvdcve-modified-*.json.xz"))
    print(f"{len(files)} files, {sum(f.stat().st_size for f in files) / 1e6:.1f} MB compressed")
    print(f"cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.repeat):
            path = args.keep if args.keep and n == args.repeat - 1 else Path(tmp) / f"v{n}.sqlite"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            store = Store.open(path, create=True)
            start = time.perf_counter()
            cpu_start = _cpu()
            report = store.import_paths(files)
            elapsed = time.perf_counter() - start
            now = _cpu()
            cpu = (now[0] - cpu_start[0], now[1] - cpu_start[1])
            times.append(elapsed)
            print(
                f"import {n + 1}: {report.records} records, {store.count()} distinct ids, "
                f"{elapsed:.1f} s ({report.records / elapsed:,.0f} records/s); "
                f"CPU {cpu[0]:.1f} s in this process + {cpu[1]:.1f} s in the readers"
            )
            start = time.perf_counter()
            again = store.import_paths(files)
            print(
                f"  re-import: {len(again.changed)} changed, revision {store.revision()}, "
                f"{time.perf_counter() - start:.1f} s"
            )
            size = path.stat().st_size / 1e6
            print(f"  store size: {size:.0f} MB")
            store.close()
    print(f"import median: {statistics.median(times):.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
