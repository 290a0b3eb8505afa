"""What `assay verify` adds to a scan of the bundled OpenWrt 12.09 TL-WR703N image.

    .venv/bin/python benchmarks/bench_verify.py [--repeat N]

Times, in one process: the scan itself (the measuring step `assay verify IMAGE` runs, without
vulnerability matching or checks), then the verification work on its result, repeated:
reading a CycloneDX supplier SBOM of the image's 80 packages with a SHA-256 each, comparing
it (hashing every file the SBOM names), evaluating a policy, verifying one SLSA provenance
bundle and one in-toto DSSE layout with its links (real test data from ../shared); and what
`assay scan --supplier-sbom` adds (compare, keep the summary, judge the norms again) and one
Debian InRelease with its Packages index (gpgv, this machine's apt lists, when present). The
first repeat pays the libraries' import (sigstore, in-toto, spdx-tools are imported lazily).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from assay.pipeline import ScanOptions, assess
from assay.supply import compare, load_sbom
from assay.supply.debian import verify_release
from assay.supply.intoto import verify_layout
from assay.supply.policy import evaluate, load_policy
from assay.supply.scan import attach, inventory_of
from assay.supply.slsa import verify_provenance

ROOT = Path(__file__).resolve().parent.parent
IMAGE = ROOT / "data/firmware/openwrt-12.09-tl-wr703n-v1-squashfs-factory.bin.xz"
SHARED = ROOT.parent / "shared/data/supply-chain"
APT_RELEASE = Path("/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm-updates_InRelease")
APT_KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
POLICY = "rules:\n  sbom_fidelity_min: 0.95\n  no_undeclared: true\n  signed_image: true\n"


def supplier_sbom(inventory: object, path: Path) -> Path:
    components = []
    for m in inventory.components:  # type: ignore[attr-defined]
        if "opkg-db" not in m.found_by:
            continue
        comp = {"type": "application", "name": m.name, "version": m.version}
        for file in m.payload:
            real = inventory.roots[0].resolve(file)  # type: ignore[attr-defined]
            if real is not None and real.is_file():
                digest = hashlib.sha256(real.read_bytes()).hexdigest()
                comp["hashes"] = [{"alg": "SHA-256", "content": digest}]
                break
        components.append(comp)
    bom = {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": components}
    path.write_text(json.dumps(bom))
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    if not SHARED.is_dir():
        sys.exit(f"{SHARED} is missing (the real test data)")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        start = time.perf_counter()
        options = ScanOptions(work_dir=work / "scan", match_vulnerabilities=False, run_checks=False)
        scanned = assess(IMAGE, options)
        inventory = inventory_of(scanned.assessment, scanned.rootfs)
        scan = time.perf_counter() - start
        sbom_path = supplier_sbom(inventory, work / "sbom.json")
        (work / "policy.yaml").write_text(POLICY)
        slsa = SHARED / "slsa/slsa-verifier-testdata/bcr"
        root = SHARED / "sigstore/trusted-roots/production/trusted_root.json"
        intoto = SHARED / "in-toto/in-toto-golang-testdata"
        runs: dict[str, list[float]] = {}
        cpu: list[float] = []
        for _ in range(repeat):
            cpu_start = time.process_time()
            inventory._hashes.clear()  # hash the files again every time
            marks = [time.perf_counter()]
            result = compare(load_sbom(sbom_path), inventory)
            marks.append(time.perf_counter())
            document = {"target": inventory.target, "sbom": result.to_dict()}
            evaluate(load_policy(work / "policy.yaml"), document, inventory)
            marks.append(time.perf_counter())
            verify_provenance(slsa / "MODULE.bazel.intoto.jsonl", "0" * 64, root, [])
            marks.append(time.perf_counter())
            verify_layout(intoto / "dsse-only.root.layout", [intoto / "alice.pub"], intoto)
            marks.append(time.perf_counter())
            attach(scanned.assessment, scanned.rootfs, load_sbom(sbom_path))
            marks.append(time.perf_counter())
            names = ["sbom", "policy", "slsa", "in-toto", "scan-sbom"]
            if APT_RELEASE.is_file():
                assert verify_release(APT_RELEASE, [APT_KEYRING]).result == "verified"
                marks.append(time.perf_counter())
                names.append("debian")
            for name, a, b in zip(names, marks, marks[1:], strict=False):
                runs.setdefault(name, []).append(b - a)
            # what `assay verify` does; scan-sbom is the same comparison inside a scan
            verify_parts = [n for n in names if n != "scan-sbom"]
            runs.setdefault("total", []).append(sum(runs[n][-1] for n in verify_parts))
            cpu.append(time.process_time() - cpu_start)
    print(f"scan (measuring step, no vulns/checks): {scan:.2f} s; verdict {result.verdict}")
    print(f"verification, {repeat} runs (wall-clock median / first / max, ms):")
    for name, values in runs.items():
        print(f"  {name:<8} {statistics.median(values) * 1000:7.0f} "
              f"{values[0] * 1000:7.0f} {max(values) * 1000:7.0f}")  # fmt: skip
    load = os.getloadavg()[0]
    print(f"  CPU time of the whole verification: first {cpu[0] * 1000:.0f} ms, "
          f"median {statistics.median(cpu) * 1000:.0f} ms (load average {load:.1f})")  # fmt: skip


if __name__ == "__main__":
    main()
