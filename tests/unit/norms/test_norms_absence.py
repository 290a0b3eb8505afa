"""Absence of evidence is not evidence of absence: an image from which only one file was
unpacked gives no check a PASS or NOT_APPLICABLE, and no requirement that rests on a check a
PASS (issue 12, item 1)."""

from __future__ import annotations

import shutil
from pathlib import Path

from assay.checks import run_checks
from assay.extract.rootfs import RootFS
from assay.model.assessment import Assessment, Target
from assay.model.check import Verdict
from assay.norms import evaluate, load_catalog
from assay.norms.expr import leaves


def _one_file_image(wr703n_rootfs: RootFS, tmp_path: Path) -> RootFS:
    """The real WR703N tree reduced to the one file an extractor managed to get out."""
    root = tmp_path / "partial"
    (root / "etc").mkdir(parents=True)
    shutil.copy(wr703n_rootfs.root / "etc" / "banner", root / "etc" / "banner")
    return RootFS(root)


def test_one_extracted_file_gives_no_pass(wr703n_rootfs: RootFS, tmp_path: Path) -> None:
    assessment = Assessment(Target("partial.bin", "image"), "test", "2026-12-07T00:00:00Z")
    findings = run_checks([_one_file_image(wr703n_rootfs, tmp_path)], assessment)
    assert len(findings) == 24
    for f in findings:
        assert f.verdict in (Verdict.INCONCLUSIVE, Verdict.FAIL), (f.check, f.summary)
        assert f.verdict != Verdict.FAIL or f.evidence, f.check  # a FAIL shows what it saw
    thin = [f for f in findings if "only 1 file(s) were unpacked" in f.summary]
    assert thin  # the reason is said, not only the verdict
    assessment.findings = findings
    with_checks = {
        r.uid
        for r in load_catalog().requirements()
        if any(leaf.kind == "check" for leaf in leaves(r.decided_by))
    }
    verdicts = {f"{v.norm}:{v.requirement}": v for v in evaluate(assessment)}
    assert with_checks
    for uid in with_checks:
        v = verdicts[uid]
        assert v.verdict not in (Verdict.PASS, Verdict.NOT_APPLICABLE), (uid, v.reason)
    assert not [v for v in verdicts.values() if v.verdict == Verdict.PASS]
