"""Time every security-by-default check on the bundled OpenWrt 12.09 TL-WR703N root filesystem.

    .venv/bin/python benchmarks/bench_checks.py [--repeat N] [ROOTFS_DIR]

Without a directory it decompresses the bundled image and unpacks its squashfs with
unsquashfs (not timed). Each repeat builds a fresh CheckContext, so the shared views (file walk,
accounts, start-up files, key scan, ELF scan) are computed again every time.
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


def bench(rootfs: Path, repeat: int) -> None:
    totals: list[float] = []
    per_check: dict[str, list[float]] = {}
    for _ in range(repeat):
        timings: dict[str, float] = {}
        start = time.perf_counter()
        findings = run_context(CheckContext(rootfs=[RootFS(rootfs)]), timings=timings)
        totals.append(time.perf_counter() - start)
        for check, seconds in timings.items():
            per_check.setdefault(check, []).append(seconds)
    files = sum(1 for _ in RootFS(rootfs).walk())
    print(f"rootfs: {rootfs} ({files} entries), {len(findings)} checks, {repeat} runs")
    print(f"all checks: median {statistics.median(totals) * 1000:.0f} ms, "
          f"min {min(totals) * 1000:.0f} ms, max {max(totals) * 1000:.0f} ms")  # fmt: skip
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
    parser.add_argument("rootfs", nargs="?", type=Path)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    if args.rootfs:
        bench(args.rootfs, args.repeat)
        return
    with tempfile.TemporaryDirectory() as work:
        bench(unpack_rootfs(Path(work)), args.repeat)


if __name__ == "__main__":
    main()
