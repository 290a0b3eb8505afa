"""Agreement of Assay's kernel CVE decisions with the hand-labelled set for the WR703N.

    .venv/bin/python benchmarks/bench_kernel.py --db STORE

STORE: a store with the 2002-2016 NVD corpus (benchmarks/bench_feeds.py --keep PATH). Scans
the bundled image (no checks), then prints how many kernel CVEs are settled (affected or
not_affected, with evidence) and how Assay's decisions compare with
tests/unit/vulns/kernel_labels.yaml (a person's labels and reasons).
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
from pathlib import Path

import yaml

from assay.pipeline import ScanOptions, assess
from wr703n import IMAGE, ROOT

LABELS = ROOT / "tests" / "unit" / "vulns" / "kernel_labels.yaml"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    args = parser.parse_args()
    labels = yaml.safe_load(LABELS.read_text())
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        options = ScanOptions(work_dir=Path(tmp), store=args.db, run_checks=False)
        matches = assess(IMAGE, options).assessment.vulnerabilities
        took = time.perf_counter() - start
    kernel = {m.id: m for m in matches if "kernel@" in m.component}
    status = collections.Counter(m.status for m in kernel.values())
    versioned = sum(n for s, n in status.items() if s != "unversioned")
    settled = status["affected"] + status["not_affected"]
    print(f"scan: {took:.1f} s; kernel CVEs matched on version: {len(kernel)} {dict(status)}")
    print(f"settled with evidence: {settled} of {versioned} ({settled / versioned:.0%})")
    agree, disagree, unknown = 0, [], 0
    for cve, label in labels.items():
        m = kernel.get(cve)
        if m is None or m.status not in ("affected", "not_affected"):
            unknown += 1
        elif m.status == label["status"]:
            agree += 1
        else:
            disagree.append(cve)
    print(
        f"labelled set: {len(labels)} CVEs; {agree} agree, {len(disagree)} disagree, "
        f"{unknown} left unknown; disagreements: {', '.join(disagree) or 'none'}"
    )
    return 1 if disagree else 0


if __name__ == "__main__":
    raise SystemExit(main())
