"""Check agreement with the labelled corpus: each check's verdict against the ``checks:`` key of
``tests/truth/<image-id>.yaml`` (what a person established by reading the files).

    .venv/bin/python benchmarks/truth_checks.py [IMAGE_ID ...]

``check_agreement(assessment, truth)`` is what ``bench_truth.py`` calls with an assessment dict
(``assessment.json``) and a parsed truth file. Counting:

- right: the verdict is the expected one (PASS and NOT_APPLICABLE both mean "no problem");
- inconclusive: the check said INCONCLUSIVE (or did not run) where the truth has a verdict;
- wrong: any other answer, including a decided verdict where the truth is INCONCLUSIVE
  (nothing in the image can decide it). Wrong verdicts must be 0.

Run as a script, it unpacks every corpus image the simple way SOURCES.md describes (tar, Debian
unsquashfs, 7z, xz + unsquashfs for the OpenWrt images; nothing is copied into the project),
runs all checks and prints the figures per image with the time the checks took.
"""

from __future__ import annotations

import lzma
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TRUTH = ROOT / "tests" / "truth"
NO_PROBLEM = {"PASS", "NOT_APPLICABLE"}


def check_agreement(assessment: dict[str, Any], truth: dict[str, Any]) -> dict[str, Any]:
    """Right / wrong / inconclusive counts of the assessment's checks against the truth."""
    found = {f["check"]: f for f in assessment.get("findings", [])}
    counts = {"right": 0, "wrong": 0, "inconclusive": 0}
    wrong: list[dict[str, Any]] = []
    evidence_missing: list[str] = []
    for check, expected in (truth.get("checks") or {}).items():
        want = str(expected["verdict"])
        finding = found.get(check)
        got = str(finding["verdict"]) if finding else "NOT RUN"
        if got == want or (got in NO_PROBLEM and want in NO_PROBLEM):
            counts["right"] += 1
            if want == "FAIL" and not _shows(finding, str(expected.get("file", ""))):
                evidence_missing.append(check)
        elif got in ("INCONCLUSIVE", "NOT RUN"):
            counts["inconclusive"] += 1
        else:
            counts["wrong"] += 1
            wrong.append(
                {
                    "check": check,
                    "expected": want,
                    "got": got,
                    "file": expected.get("file", ""),
                    "summary": (finding or {}).get("summary", ""),
                }
            )
    return {**counts, "total": sum(counts.values()), "wrong_list": wrong,
            "evidence_missing": evidence_missing}  # fmt: skip


def _shows(finding: dict[str, Any] | None, path: str) -> bool:
    """Does the finding's evidence name the file the truth names (or one in that folder)?"""
    if finding is None or not path:
        return False
    return any(str(e.get("path", "")).startswith(path) for e in finding.get("evidence", []))


# --- the driver ---------------------------------------------------------------------------------


def unpack(image: Path, work: Path) -> list[Path]:
    """Root filesystems of one corpus image (see SOURCES.md for how each one unpacks)."""
    name = image.name
    if name.endswith(".tar.xz"):
        import os

        from assay.extract.safe_tar import unpack_tar

        sink = os.open(os.devnull, os.O_WRONLY)  # the modes log is not needed here
        try:
            unpack_tar(image, work, sink, max_size=1 << 30, max_entries=1_000_000)
        finally:
            os.close(sink)
        tops = [p for p in work.iterdir() if p.is_dir()]
        if any((work / d).is_dir() for d in ("etc", "etc_ro", "bin")):
            return [work]
        return sorted(tops)
    if (
        name.endswith(".bin.xz")
        or name.endswith(".bin")
        and b"hsqs" in image.read_bytes()[: 1 << 22]
    ):
        raw = work / "image.bin"
        opener = lzma.open if name.endswith(".xz") else open
        with opener(image, "rb") as src, raw.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        offset = raw.read_bytes().find(b"hsqs")
        return [_unsquashfs(raw, work / "rootfs", offset)]
    if name.endswith(".bin") and shutil.which("7z"):
        dest = work / "7z"
        subprocess.run(["7z", "x", "-y", f"-o{dest}", str(image)], capture_output=True)
        return [dest] if dest.is_dir() and any(dest.iterdir()) else []
    if image.read_bytes()[:4] == b"hsqs":  # a squashfs partition (mtdblock1, 120000.squashfs)
        roots = [_unsquashfs(image, work / name, 0)]
        sibling = image.with_name("mtdblock2")
        if name == "mtdblock1" and sibling.exists():
            roots.append(_unsquashfs(sibling, work / "mtdblock2", 0))
        return roots
    return []


def _unsquashfs(image: Path, dest: Path, offset: int) -> Path:
    subprocess.run(
        ["unsquashfs", "-no-progress", "-no-exit-code", "-o", str(offset), "-d", str(dest)]
        + [str(image)],
        capture_output=True,
    )
    return dest


def corpus_image(truth_file: Path) -> Path:
    """The image file a truth file is about (its ``image:`` path, from the repository root)."""
    return (ROOT / yaml.safe_load(truth_file.read_text())["image"]).resolve()


def run_image(truth_file: Path) -> dict[str, Any]:
    from assay.checks import CheckContext, run_context
    from assay.extract.rootfs import RootFS

    truth = yaml.safe_load(truth_file.read_text())
    image = corpus_image(truth_file)
    with tempfile.TemporaryDirectory() as tmp:
        roots = unpack(image, Path(tmp))
        many = len(roots) > 1
        rootfs = [RootFS(r, label=r.name if many else "") for r in roots if r.is_dir()]
        start = time.perf_counter()
        findings = run_context(CheckContext(rootfs=rootfs))
        seconds = time.perf_counter() - start
    assessment = {"findings": [f.to_dict() for f in findings]}
    return {"id": truth["id"], "seconds": seconds, **check_agreement(assessment, truth)}


def main(ids: list[str]) -> int:
    files = sorted(TRUTH.glob("*.yaml"))
    if ids:
        files = [f for f in files if f.stem in ids]
    total = {"right": 0, "wrong": 0, "inconclusive": 0}
    print(f"{'image':<22} {'right':>5} {'wrong':>5} {'inconcl.':>8} {'checks s':>8}")
    for truth_file in files:
        r = run_image(truth_file)
        for key in total:
            total[key] += r[key]
        print(f"{r['id']:<22} {r['right']:>5} {r['wrong']:>5} {r['inconclusive']:>8} "
              f"{r['seconds']:>8.2f}")  # fmt: skip
        for w in r["wrong_list"]:
            print(f"    WRONG {w['check']}: expected {w['expected']}, got {w['got']} ({w['file']})")
        if r["evidence_missing"]:
            print(f"    right, but evidence does not name the file: {r['evidence_missing']}")
    print(f"{'total':<22} {total['right']:>5} {total['wrong']:>5} {total['inconclusive']:>8}")
    return 1 if total["wrong"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
