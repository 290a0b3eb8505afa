"""Whole `assay scan` of the bundled OpenWrt 12.09 TL-WR703N image: wall time and peak memory.

Run: ``.venv/bin/python benchmarks/bench_scan.py [--runs 5]``. Each run is a fresh
``assay scan`` process (as a user runs it), so start-up, extraction (the unblob worker),
cataloging, matching against the bundled snapshot, checks, norms and every output count.
CPU time is user + system of the scan and every process it started (what ``/usr/bin/time``
reports), and peak memory the largest resident set of any single process of the run (the CLI
or the extraction worker), both from ``getrusage(RUSAGE_CHILDREN)`` in a fresh child per run.
The CPU per image is also measured as a corpus worker spends it: one long-lived process
(pipeline loaded, extraction workers forked from ``assay.extract.forkserver``).
A second table times each stage in-process, wall and CPU (the extract stage's CPU is the
worker's plus the parent's warm-up of the later stages meanwhile).
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGE = ROOT / "data/firmware/openwrt-12.09-tl-wr703n-v1-squashfs-factory.bin.xz"
ASSAY = Path(sys.executable).parent / "assay"


def one_run(image: Path, out: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system of the scan and every process it started, as
    /usr/bin/time counts them) and peak RSS (MB) of one `assay scan`, from a fresh child."""
    probe = (
        "import resource,subprocess,sys,time;"
        "t=time.perf_counter();"
        "r=subprocess.run(sys.argv[1:]);"
        "w=time.perf_counter()-t;"
        "u=resource.getrusage(resource.RUSAGE_CHILDREN);"
        "print(w, u.ru_utime+u.ru_stime, u.ru_maxrss, r.returncode)"
    )
    cmd = [sys.executable, "-c", probe, str(ASSAY), "scan", str(image), "--out", str(out), "-q"]
    wall, cpu, rss_kb, code = subprocess.run(
        cmd, capture_output=True, text=True, check=True
    ).stdout.split()
    if code != "0":
        raise SystemExit(f"assay scan exited {code}")
    return float(wall), float(cpu), int(rss_kb) / 1024


CORPUS_PROBE = """
import json, os, resource, shutil, sys, time
from pathlib import Path
from assay.extract import forkserver
from assay.pipeline import ScanOptions, assess

forkserver.enable()
tick = os.sysconf("SC_CLK_TCK")

def cpu():
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    server = open(f"/proc/{forkserver.current().proc.pid}/stat").read().rsplit(")", 1)[1]
    forked = sum(int(x) for x in server.split()[11:15]) / tick  # the server and its children
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime + forked

image, work, count = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
per_image = []
for i in range(count + 1):
    before = cpu()
    assess(image, ScanOptions(work_dir=work / str(i)))
    per_image.append(cpu() - before)
    shutil.rmtree(work / str(i))
print(json.dumps(per_image[1:]))  # the first pays the start-up
"""


def corpus_worker_cpu(image: Path, work: Path, count: int) -> list[float]:
    """CPU seconds per image in a long-lived process, as a corpus worker scans (pipeline
    loaded, extraction workers forked from the fork server; no output files written)."""
    cmd = [sys.executable, "-c", CORPUS_PROBE, str(image), str(work), str(count)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [float(x) for x in json.loads(out.splitlines()[-1])]


def _cpu() -> float:
    """CPU seconds of this process and of the children it has waited for (the worker)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def stage_times(image: Path, work: Path) -> tuple[dict[str, float], dict[str, float]]:
    """Wall and CPU seconds per stage of one in-process run (extract's CPU includes the
    extraction worker's and the later stages' warm-up while it runs)."""
    from assay.pipeline import ScanOptions, assess
    from assay.present import formats

    marks: list[tuple[str, float, float]] = [("start", time.perf_counter(), _cpu())]
    result = assess(
        image,
        ScanOptions(work_dir=work),
        lambda s, m: marks.append((s, time.perf_counter(), _cpu())),
    )
    marks.append(("outputs", time.perf_counter(), _cpu()))
    formats.write_all(result.assessment, work / "out")
    marks.append(("end", time.perf_counter(), _cpu()))
    spans = range(1, len(marks) - 1)
    wall = {marks[i][0]: marks[i + 1][1] - marks[i][1] for i in spans}
    cpu = {marks[i][0]: marks[i + 1][2] - marks[i][2] for i in spans}
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="assay-bench-") as tmp:
        image = Path(tmp) / "wr703n.bin"
        image.write_bytes(lzma.decompress(IMAGE.read_bytes()))
        walls, cpus, peaks = [], [], []
        for i in range(args.runs):
            wall, cpu, peak = one_run(image, Path(tmp) / f"out{i}")
            walls.append(wall)
            cpus.append(cpu)
            peaks.append(peak)
        stages, stages_cpu = stage_times(image, Path(tmp) / "stages")
        corpus = corpus_worker_cpu(image, Path(tmp) / "corpus", args.runs)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f}, Python {platform.python_version()}"
    )
    print(f"assay scan of {IMAGE.name} ({args.runs} runs)")
    print(
        f"  wall time  median {statistics.median(walls):.2f} s  best {min(walls):.2f} s  "
        f"worst {max(walls):.2f} s"
    )
    print(
        f"  CPU time   median {statistics.median(cpus):.2f} s  best {min(cpus):.2f} s  "
        f"worst {max(cpus):.2f} s  (user + system, the scan and every process it started)"
    )
    print(f"  peak RSS   max {max(peaks):.0f} MB")
    print(
        f"  as a corpus worker scans it (long-lived process, forked extraction workers, no "
        f"output files; {len(corpus)} images after the first): CPU median "
        f"{statistics.median(corpus):.2f} s  best {min(corpus):.2f} s  worst {max(corpus):.2f} s"
    )
    print("  stages (one in-process run): wall, CPU")
    for stage, seconds in stages.items():
        print(f"    {stage:<8} {seconds:6.2f} s  {stages_cpu[stage]:6.2f} s")
    print(
        json.dumps(
            {
                "wall_median_s": statistics.median(walls),
                "cpu_median_s": statistics.median(cpus),
                "corpus_cpu_median_s": statistics.median(corpus),
                "load_average": os.getloadavg()[0],
                "peak_rss_mb": max(peaks),
                "stages_s": stages,
                "stages_cpu_s": stages_cpu,
            }
        )
    )


if __name__ == "__main__":
    main()
