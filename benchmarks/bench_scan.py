"""Whole `assay scan` of the bundled OpenWrt 12.09 TL-WR703N image: wall time and peak memory.

Run: ``.venv/bin/python benchmarks/bench_scan.py [--runs 5]``. Each run is a fresh
``assay scan`` process (as a user runs it), so start-up, extraction (the unblob worker),
cataloging, matching against the bundled snapshot, checks, norms and every output count.
Peak memory is the largest resident set of any single process of the run (the CLI or the
extraction worker), from ``getrusage(RUSAGE_CHILDREN)`` measured per run in a fresh child.
A second table times each stage in-process.
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGE = ROOT / "data/firmware/openwrt-12.09-tl-wr703n-v1-squashfs-factory.bin.xz"
ASSAY = Path(sys.executable).parent / "assay"


def one_run(image: Path, out: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one `assay scan`, measured from a fresh child."""
    probe = (
        "import resource,subprocess,sys,time;"
        "t=time.perf_counter();"
        "r=subprocess.run(sys.argv[1:]);"
        "w=time.perf_counter()-t;"
        "m=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss;"
        "print(w, m, r.returncode)"
    )
    cmd = [sys.executable, "-c", probe, str(ASSAY), "scan", str(image), "--out", str(out), "-q"]
    wall, rss_kb, code = subprocess.run(
        cmd, capture_output=True, text=True, check=True
    ).stdout.split()
    if code != "0":
        raise SystemExit(f"assay scan exited {code}")
    return float(wall), int(rss_kb) / 1024


def stage_times(image: Path, work: Path) -> dict[str, float]:
    from assay.cli.scan import write_outputs
    from assay.pipeline import ScanOptions, assess

    marks: list[tuple[str, float]] = [("start", time.perf_counter())]
    result = assess(
        image, ScanOptions(work_dir=work), lambda s, m: marks.append((s, time.perf_counter()))
    )
    marks.append(("outputs", time.perf_counter()))
    write_outputs(result.assessment, work / "out")
    marks.append(("end", time.perf_counter()))
    return {marks[i][0]: marks[i + 1][1] - marks[i][1] for i in range(1, len(marks) - 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="assay-bench-") as tmp:
        image = Path(tmp) / "wr703n.bin"
        image.write_bytes(lzma.decompress(IMAGE.read_bytes()))
        walls, peaks = [], []
        for i in range(args.runs):
            wall, peak = one_run(image, Path(tmp) / f"out{i}")
            walls.append(wall)
            peaks.append(peak)
        stages = stage_times(image, Path(tmp) / "stages")
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f}, Python {platform.python_version()}"
    )
    print(f"assay scan of {IMAGE.name} ({args.runs} runs)")
    print(
        f"  wall time  median {statistics.median(walls):.2f} s  best {min(walls):.2f} s  "
        f"worst {max(walls):.2f} s"
    )
    print(f"  peak RSS   max {max(peaks):.0f} MB")
    print("  stages (one in-process run):")
    for stage, seconds in stages.items():
        print(f"    {stage:<8} {seconds:6.2f} s")
    print(
        json.dumps(
            {
                "wall_median_s": statistics.median(walls),
                "peak_rss_mb": max(peaks),
                "stages_s": stages,
            }
        )
    )


if __name__ == "__main__":
    main()
