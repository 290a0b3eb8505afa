"""Benchmark the binary-signature engines on the real WR703N root filesystem.

Compares hyperscan (used by Assay), yara-x and plain Python ``re`` for the multi-pattern
pass over the same signature data, and times the full cataloger (walk, read, scan, version
extraction). Run from the repository root::

    .venv/bin/python benchmarks/bench_signatures.py [--repeat 5]

Needs ``unsquashfs`` (squashfs-tools) and the dev extra ``yara-x``.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from assay.catalog.binary import BinaryCataloger, SignatureEngine, load_signatures
from assay.extract.rootfs import RootFS
from wr703n import unpack_rootfs


def best(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(best, median) wall time in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def yara_rules(regexes: list[bytes]) -> object:
    import yara_x

    compiler = yara_x.Compiler()
    for n, rx in enumerate(regexes):
        body = re.sub(rb"\(\?P<\w+>", b"(", rx).replace(b"/", b"\\/").decode("latin-1")
        compiler.add_source(f"rule r{n} {{ strings: $a = /{body}/ condition: $a }}")
    return compiler.build()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    import yara_x

    signatures = load_signatures()
    regexes = [p for s in signatures for p in (*s.patterns, *s.requires)]
    with tempfile.TemporaryDirectory() as tmp:
        rootfs = RootFS(unpack_rootfs(Path(tmp), "root"))
        entries = [e for e in rootfs.walk() if e.is_file]
        elves = [e for e in entries if rootfs.read_bytes(e.path, 4) == b"\x7fELF"]
        cataloger = BinaryCataloger()
        globbed = [e for e in entries if cataloger.wants(e)]
        print(f"signatures: {len(signatures)} ({len(regexes)} regexes)")
        print(
            f"rootfs: {len(entries)} files; {len(elves)} ELF "
            f"({sum(e.size for e in elves) / 1e6:.1f} MB); "
            f"{len(globbed)} taken by the globs ({sum(e.size for e in globbed) / 1e6:.1f} MB)"
        )

        t = time.perf_counter()
        hs_engine = SignatureEngine(signatures, backend="hyperscan")
        print(f"compile hyperscan: {time.perf_counter() - t:.3f} s")
        t = time.perf_counter()
        rules = yara_rules(regexes)
        print(f"compile yara-x:    {time.perf_counter() - t:.3f} s")
        py_engine = SignatureEngine(signatures, backend="python")
        scanner = yara_x.Scanner(rules)

        for label, chosen in (("glob-selected files", globbed), ("all ELF files", elves)):
            blobs = [rootfs.read_bytes(e.path) or b"" for e in chosen]
            print(f"\nmulti-pattern pass over {label} ({len(blobs)} files, data in memory):")
            engines: list[tuple[str, Callable[[list[bytes]], object]]] = [
                ("hyperscan", lambda bs: [hs_engine.first_hits(b) for b in bs]),
                ("yara-x", lambda bs: [scanner.scan(b) for b in bs]),
                ("python re", lambda bs: [py_engine.first_hits(b) for b in bs]),
            ]
            for name, run in engines:
                low, med = best(lambda run=run, bs=blobs: run(bs), args.repeat)
                print(f"  {name:10s} best {low * 1000:8.1f} ms   median {med * 1000:8.1f} ms")
            agree = all(
                set(hs_engine.first_hits(b))
                == {int(r.identifier[1:]) for r in scanner.scan(b).matching_rules}
                == set(py_engine.first_hits(b))
                for b in blobs
            )
            print(f"  the three engines report the same regexes in every file: {agree}")

        def full() -> int:
            found = 0
            for entry in rootfs.walk():
                if cataloger.wants(entry):
                    found += len(cataloger.parse(rootfs, entry).components)
            return found

        low, med = best(full, args.repeat)
        print(
            f"\nfull cataloger on the rootfs (walk + read + scan + versions), {full()} components:"
        )
        print(f"  best {low * 1000:.1f} ms   median {med * 1000:.1f} ms")


if __name__ == "__main__":
    main()
