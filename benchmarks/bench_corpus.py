"""Corpus throughput on Dask: images per second with 1 and 2 workers, the per-task overhead,
and what 100 workers would need.

    .venv/bin/python benchmarks/bench_corpus.py [--count 40] [--corpus DIR]

The corpus is made by corpus_variants.py (variants of the bundled image repacked with
mksquashfs, each with its declaration) unless --corpus names one. Each run scans the whole
corpus into a fresh SQLite registry on a LocalCluster of N single-threaded worker processes.
The overhead is measured with 2,000 empty tasks on the same kind of cluster; the registry's
write time is the time per stored assessment (the workers write it themselves on a local cluster
with SQLite, as with PostgreSQL). The model for 100 workers: throughput scales with workers until
the registry database or the scheduler's per-task cost saturate; both are printed.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from corpus_variants import make_variants


def scan(corpus: Path, workers: int) -> tuple[float, int, float, int]:
    """Seconds, images stored, mean registry write time (s), and how many of the images the
    workers stored themselves, for one run."""
    from assay.corpus.inputs import expand
    from assay.corpus.run import corpus_scan

    with tempfile.TemporaryDirectory() as work:
        url = f"sqlite:///{work}/registry.sqlite"
        images = expand([corpus])
        started = time.perf_counter()
        summary = corpus_scan(images, url, workers=workers, options={"timeout": 600})
        seconds = time.perf_counter() - started
        write = summary.store_seconds / max(1, summary.done)
        return seconds, summary.done, write, summary.stored_by_workers


def overhead(tasks: int = 2000) -> float:
    """Seconds of scheduling per task (submit, run nothing, gather) on a 2-worker cluster."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=40,
        ) as cluster,
        Client(cluster) as client,
    ):
        client.gather(client.map(abs, range(100)))  # warm up
        started = time.perf_counter()
        client.gather(client.map(abs, range(-tasks, 0), pure=False))
        return (time.perf_counter() - started) / tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--corpus", type=Path, default=None)
    args = parser.parse_args()
    corpus = args.corpus
    if corpus is None:
        corpus = Path(tempfile.mkdtemp(prefix="assay-corpus-"))
        make_variants(corpus, args.count)
    n = len(list(corpus.glob("*.squashfs"))) or args.count
    print(
        f"corpus: {n} images in {corpus}; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores"
    )
    rates = {}
    for workers in (1, 2):
        seconds, stored, write, by_workers = scan(corpus, workers)
        rates[workers] = stored / seconds
        print(
            f"{workers} worker(s): {stored} images in {seconds:.1f} s = "
            f"{rates[workers]:.3f} images/s; registry write {write * 1000:.0f} ms per image "
            f"({by_workers} written by the workers themselves); load average "
            f"{os.getloadavg()[0]:.1f}"
        )
    print(f"speed-up with 2 workers: {rates[2] / rates[1]:.2f}x (target >= 1.8)")
    per_task = overhead()
    print(f"per-task scheduling overhead: {per_task * 1000:.1f} ms (target < 50 ms)")
    per_worker = rates[1]
    rate = 100 * per_worker
    print(
        f"model for 100 workers: {rate:.1f} images/s if nothing else limits; the scheduler "
        f"then spends {rate * per_task * 100:.1f} % of its time on scheduling; the registry "
        f"takes one write of {write * 1000:.0f} ms per image: written by the workers "
        f"themselves (PostgreSQL) that keeps {rate * write:.1f} connections busy on average; "
        f"written by one client it would top out at {1 / max(write, 1e-6):.1f} images/s"
    )


if __name__ == "__main__":
    main()
