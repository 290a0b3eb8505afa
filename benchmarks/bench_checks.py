"""Time every security-by-default check on the bundled OpenWrt 12.09 TL-WR703N root filesystem.

    .venv/bin/python benchmarks/bench_checks.py [--repeat N] [ROOTFS_DIR... | --corpus IMAGE_ID]

Without a directory it decompresses the bundled image and unpacks its squashfs with
unsquashfs (not timed); ``--corpus xiaomi-lx06`` unpacks that corpus image the way
``truth_checks.py`` does. Each repeat builds a fresh CheckContext, so the shared views (file
walk, accounts, start-up files, key scan, ELF scan) are computed again every time. Wall time
and this process's CPU time are both printed: on a shared, loaded machine the CPU time is the
closer figure to what the checks cost.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from assay.checks import CheckContext, run_context
from assay.extract.rootfs import RootFS
from wr703n import unpack_rootfs


def bench(roots: list[Path], repeat: int) -> None:
    totals: list[float] = []
    cpu: list[float] = []
    per_check: dict[str, list[float]] = {}
    for _ in range(repeat):
        timings: dict[str, float] = {}
        start, start_cpu = time.perf_counter(), time.process_time()
        ctx = CheckContext(rootfs=[RootFS(r) for r in roots])
        findings = run_context(ctx, timings=timings)
        totals.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        for check, seconds in timings.items():
            per_check.setdefault(check, []).append(seconds)
    files = sum(1 for r in roots for _ in RootFS(r).walk())
    names = ", ".join(str(r) for r in roots)
    print(f"rootfs: {names} ({files} entries), {len(findings)} checks, {repeat} runs")
    print(f"all checks: median {statistics.median(totals) * 1000:.0f} ms, "
          f"min {min(totals) * 1000:.0f} ms, max {max(totals) * 1000:.0f} ms; "
          f"CPU median {statistics.median(cpu) * 1000:.0f} ms")  # fmt: skip
    print("slowest checks (median ms; the first check of a view pays for building it):")
    ranked = sorted(per_check.items(), key=lambda kv: -statistics.median(kv[1]))
    for check, values in ranked[:8]:
        print(f"  {check:<30} {statistics.median(values) * 1000:7.1f}")
    verdicts: dict[str, int] = {}
    for f in findings:
        verdicts[str(f.verdict)] = verdicts.get(str(f.verdict), 0) + 1
    print("verdicts:", ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rootfs", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--corpus", metavar="IMAGE_ID", help="a tests/truth image id")
    args = parser.parse_args()
    if args.rootfs:
        bench(args.rootfs, args.repeat)
        return
    with tempfile.TemporaryDirectory() as work:
        if args.corpus:
            from truth_checks import TRUTH, corpus_image, unpack

            roots = unpack(corpus_image(TRUTH / f"{args.corpus}.yaml"), Path(work))
            bench(roots, args.repeat)
            return
        bench([unpack_rootfs(Path(work))], args.repeat)


if __name__ == "__main__":
    main()
