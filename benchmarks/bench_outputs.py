"""What the outputs cost on the bundled WR703N image: the ``--out`` set and every ``-o`` format.

Run: ``.venv/bin/python benchmarks/bench_outputs.py [--runs 5]``. The image is scanned once
in-process; then each output is written ``--runs`` times into a temporary folder and the
median wall time is printed, for the ``--out`` set (what every scan writes) and for each
``-o`` format on its own (the documents an assessment's formats share, e.g. the CycloneDX
document behind its versions, are then already built), and last what a scan with ``--out``
and every ``-o`` format pays: all of them written once from a fresh copy of the assessment
(cleaning it for display and building each document included).
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
IMAGE = ROOT / "data/firmware/openwrt-12.09-tl-wr703n-v1-squashfs-factory.bin.xz"
EXTRA = [
    "table",
    "cyclonedx-json@1.5",
    "cyclonedx-json@1.4",
    "cyclonedx-xml",
    "spdx-json",
    "spdx-tag-value",
    "spdx3-json",
    "sarif",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from assay.pipeline import ScanOptions, assess
    from assay.present import formats

    with tempfile.TemporaryDirectory(prefix="assay-bench-") as tmp:
        image = Path(tmp) / "wr703n.bin"
        image.write_bytes(lzma.decompress(IMAGE.read_bytes()))
        assessment = assess(image, ScanOptions(work_dir=Path(tmp) / "work")).assessment
        print(
            f"{image.name}: {len(assessment.components)} components, "
            f"{len(assessment.vulnerabilities)} vulnerabilities, {len(assessment.findings)} checks"
        )

        def timed(action: object, name: str) -> float:
            times = []
            for i in range(args.runs):
                start = time.perf_counter()
                action(Path(tmp) / f"{name}-{i}")  # type: ignore[operator]
                times.append(time.perf_counter() - start)
            median = statistics.median(times) * 1000
            print(f"  {name:<22} {median:8.1f} ms")
            return median

        formats.write_set(assessment, Path(tmp) / "warm")  # imports and caches once
        for spec in EXTRA:
            formats.write(formats.parse(f"{spec}={tmp}/warm/x"), assessment)
        timed(lambda out: formats.write_set(assessment, out), "--out set")
        total = 0.0
        for spec in EXTRA:
            total += timed(
                lambda out, spec=spec: formats.write(formats.parse(f"{spec}={out}"), assessment),
                spec,
            )
        print(f"  {'all extra -o formats':<22} {total:8.1f} ms (sum of the medians above)")

        def one_pass(out: Path) -> float:
            fresh = copy.deepcopy(assessment)  # nothing cached for it: as a scan writes
            start = time.perf_counter()
            formats.write_set(fresh, out)
            for spec in EXTRA:
                formats.write(formats.parse(f"{spec}={out}/extra/{spec}"), fresh)
            return time.perf_counter() - start

        passes = [one_pass(Path(tmp) / f"pass-{i}") for i in range(args.runs)]
        print(
            f"  {'--out set + every -o':<22} {statistics.median(passes) * 1000:8.1f} ms "
            f"(one fresh pass, median; best {min(passes) * 1000:.1f} ms)"
        )


if __name__ == "__main__":
    main()
