"""CPU and wall time of storing one assessment of the bundled WR703N image in a registry.

    .venv/bin/python benchmarks/bench_registry_write.py [--runs 10] [--postgres URL]

Scans the bundled image once (``assay.pipeline.assess``), then stores its assessment ``--runs``
times in a fresh SQLite registry (or the given empty PostgreSQL database), each time as a new
firmware (another image digest), and prints the medians. This is the write a corpus worker
makes per image, holding SQLite's one-writer lock.
"""

from __future__ import annotations

import argparse
import copy
import lzma
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGE = ROOT / "data" / "firmware" / "openwrt-12.09-tl-wr703n-v1-squashfs-factory.bin.xz"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--postgres", default=None, help="an empty PostgreSQL database URL")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from assay.pipeline import ScanOptions, assess
    from assay.registry import Registry

    with tempfile.TemporaryDirectory(prefix="assay-bench-") as tmp:
        image = Path(tmp) / "wr703n.bin"
        image.write_bytes(lzma.decompress(IMAGE.read_bytes()))
        document = assess(image, ScanOptions(work_dir=Path(tmp) / "work")).assessment.to_dict()
        registry = Registry.open(args.postgres or f"sqlite:///{tmp}/registry.sqlite")
        registry.add(copy.deepcopy(document))  # schema, first product: not timed
        cpus, walls = [], []
        for i in range(args.runs):
            fresh = copy.deepcopy(document)
            fresh["target"]["sha256"] = f"{i + 1:064x}"
            cpu, wall = time.process_time(), time.perf_counter()
            registry.add(fresh)
            cpus.append(time.process_time() - cpu)
            walls.append(time.perf_counter() - wall)
        backend = "PostgreSQL" if args.postgres else "SQLite"
        cpu_ms, wall_ms = statistics.median(cpus) * 1000, statistics.median(walls) * 1000
        print(
            f"{backend}: one WR703N assessment stored in median {cpu_ms:.0f} ms CPU, "
            f"{wall_ms:.0f} ms wall ({args.runs} runs)"
        )


if __name__ == "__main__":
    main()
