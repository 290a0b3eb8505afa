"""`assay scan` of each kind of input: the WR703N root filesystem as a directory, as a
``docker save`` archive and as an OCI image layout (two layers, the second removing dropbear
with whiteouts), and real SBOMs (Syft's SPDX JSON of an Alpine IoT base image, 275
components; FreeRTOS-Plus-TCP's SPDX tag-value).

Run: ``.venv/bin/python benchmarks/bench_inputs.py [--runs 3]``. Each run is a fresh
``assay scan TARGET --out DIR -q`` process (start-up, unpacking, cataloging, matching against
the bundled snapshot, checks, norms and every output); the median wall time is printed. The
archives are built with the test suite's builder (``tests/container_archives.py``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from container_archives import docker_save, entries_layer, oci_archive, tree_layer  # noqa: E402
from wr703n import unpack_rootfs  # noqa: E402

ASSAY = Path(sys.executable).parent / "assay"
SBOMS = ROOT.parent / "shared" / "data" / "sbom"


def layers(root: Path) -> list[bytes]:
    info = root / "usr/lib/opkg/info"
    removed = [p.strip().lstrip("/") for p in (info / "dropbear.list").read_text().split()]
    top: list[tuple[str, bytes | None]] = []
    for path in removed:
        folder, _, name = path.rpartition("/")
        top.append((f"{folder}/.wh.{name}", b""))
    return [tree_layer(root), entries_layer(top)]


def median_wall(target: Path, out: Path, runs: int) -> float:
    times = []
    for number in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [str(ASSAY), "scan", str(target), "--out", str(out / str(number)), "-q"],
            check=True,
            capture_output=True,
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="bench-inputs-") as tmp:
        work = Path(tmp)
        root = unpack_rootfs(work)
        built = layers(root)
        targets = {
            "directory (WR703N rootfs)": root,
            "docker save, 2 layers": work / "image.tar",
            "OCI layout tar, 2 gzip layers": work / "image-oci.tar",
            "SBOM: Syft SPDX JSON, 275 components": SBOMS
            / "bom-shelter/spdx-syft-balenalib_armv7hf-alpine-node.spdx.json",
            "SBOM: FreeRTOS-Plus-TCP SPDX tag-value": SBOMS
            / "freertos/FreeRTOS-Plus-TCP.sbom.spdx",
        }
        (work / "image.tar").write_bytes(docker_save(built))
        (work / "image-oci.tar").write_bytes(oci_archive(built))
        print(f"load {os.getloadavg()[0]:.1f}, {runs} runs each, median wall seconds")
        print("| input | size | wall (s) |")
        print("| --- | --- | --- |")
        for label, target in targets.items():
            size = target.stat().st_size if target.is_file() else 0
            shown = f"{size / 1e3:,.0f} kB" if size else "8.2 MB tree"
            wall = median_wall(target, work / "out" / label.split()[0], runs)
            print(f"| {label} | {shown} | {wall:.2f} |")


if __name__ == "__main__":
    main()
