"""Time the norms evaluation and the report on a real scan of the bundled WR703N image.

    .venv/bin/python benchmarks/bench_norms_report.py [--declaration FILE] [--repeat N]

Scans the image once (extract, catalog, vulnerability matching, checks), then times
``load_catalog`` (cold), ``evaluate`` and ``write_reports`` separately.
"""

from __future__ import annotations

import argparse
import lzma
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from assay.norms import catalog as catalog_module
from assay.norms import evaluate
from assay.pipeline import ScanOptions, assess
from assay.present.report import write_reports

ROOT = Path(__file__).resolve().parent.parent
IMAGE = ROOT / "data" / "firmware" / "openwrt-12.09-tl-wr703n-v1-squashfs-factory.bin.xz"
SAMPLE = ROOT / "data" / "declarations" / "openwrt-wr703n.sample.yaml"


def _time(fn: object, repeat: int) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), max(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--declaration", type=Path, default=SAMPLE)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        image = Path(tmp) / IMAGE.name.removesuffix(".xz")
        with lzma.open(IMAGE) as src, image.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        start = time.perf_counter()
        result = assess(
            image, ScanOptions(work_dir=Path(tmp) / "work", declaration=args.declaration)
        )
        scan = time.perf_counter() - start
        assessment = result.assessment
        print(
            f"scan (all stages): {scan:.2f} s; {len(assessment.components)} components, "
            f"{len(assessment.vulnerabilities)} matches, {len(assessment.findings)} findings"
        )

        catalog_module.load_catalog.cache_clear()
        start = time.perf_counter()
        catalog = catalog_module.load_catalog()
        print(
            f"load_catalog (cold, validated): {time.perf_counter() - start:.3f} s "
            f"for {len(catalog.requirements())} requirements"
        )
        med, worst = _time(lambda: evaluate(assessment), args.repeat)
        print(f"evaluate: median {med * 1000:.1f} ms, max {worst * 1000:.1f} ms")
        out = Path(tmp) / "report"
        med, worst = _time(lambda: write_reports(assessment, out), args.repeat)
        sizes = ", ".join(f"{p.name} {p.stat().st_size // 1024} KiB" for p in sorted(out.iterdir()))
        print(f"write_reports: median {med * 1000:.1f} ms, max {worst * 1000:.1f} ms ({sizes})")


if __name__ == "__main__":
    main()
