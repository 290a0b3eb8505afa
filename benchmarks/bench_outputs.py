"""What the outputs cost on the bundled WR703N image: the ``--out`` set and every ``-o`` format.

Run: ``.venv/bin/python benchmarks/bench_outputs.py [--runs 5]``. The image is scanned once
in-process; then each output is written ``--runs`` times into a temporary folder and the
median is printed, for the ``--out`` set (what every scan writes) and for each ``-o`` format
on its own (the documents an assessment's formats share, e.g. the CycloneDX document behind
its versions, are then already built), and last what a scan with ``--out`` and every ``-o``
format pays: all of them written once from a fresh copy of the assessment (cleaning it for
display and building each document included) by ``formats.write_all``, as ``assay scan``
writes them (the garbage collector paused), and the same written one by one with the
collector running, as before ``write_all``. Each figure is wall time and CPU time of this
process (``time.process_time``: on a shared machine the wall time also counts the waits for a
core); the load average is printed before and after.
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
    load = _load()
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

        def timed(action: object, name: str) -> tuple[float, float]:
            walls, cpus = [], []
            for i in range(args.runs):
                start, cpu = time.perf_counter(), time.process_time()
                action(Path(tmp) / f"{name}-{i}")  # type: ignore[operator]
                walls.append(time.perf_counter() - start)
                cpus.append(time.process_time() - cpu)
            wall, cpu = statistics.median(walls) * 1000, statistics.median(cpus) * 1000
            print(f"  {name:<22} {wall:8.1f} ms {cpu:8.1f} ms")
            return wall, cpu

        formats.write_set(assessment, Path(tmp) / "warm")  # imports and caches once
        for spec in EXTRA:
            formats.write(formats.parse(f"{spec}={tmp}/warm/x"), assessment)
        print(f"  {'(median of ' + str(args.runs) + ')':<22} {'wall':>11} {'CPU':>11}")
        timed(lambda out: formats.write_set(assessment, out), "--out set")
        wall = cpu = 0.0
        for spec in EXTRA:
            spent = timed(
                lambda out, spec=spec: formats.write(formats.parse(f"{spec}={out}"), assessment),
                spec,
            )
            wall, cpu = wall + spent[0], cpu + spent[1]
        print(f"  {'all extra -o formats':<22} {wall:8.1f} ms {cpu:8.1f} ms (sum of the medians)")

        def one_pass(out: Path, paused: bool = True) -> tuple[float, float]:
            fresh = copy.deepcopy(assessment)  # nothing cached for it: as a scan writes
            outputs = [formats.parse(f"{spec}={out}/extra/{spec}") for spec in EXTRA]
            start, cpu = time.perf_counter(), time.process_time()
            if paused:
                formats.write_all(fresh, out, outputs)
            else:
                formats.write_set(fresh, out)
                for output in outputs:
                    formats.write(output, fresh)
            return time.perf_counter() - start, time.process_time() - cpu

        for paused, name in ((True, "--out set + every -o"), (False, "  collector running")):
            passes = [one_pass(Path(tmp) / f"pass-{paused}-{i}", paused) for i in range(args.runs)]
            walls, cpus = [p[0] * 1000 for p in passes], [p[1] * 1000 for p in passes]
            print(
                f"  {name:<22} {statistics.median(walls):8.1f} ms "
                f"{statistics.median(cpus):8.1f} ms (one fresh pass; best {min(walls):.1f} ms "
                f"wall, {min(cpus):.1f} ms CPU)"
            )
    print(f"load average before {load} / after {_load()}")


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


if __name__ == "__main__":
    main()
