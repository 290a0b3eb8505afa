"""The worker's Landlock sandbox: once entered, writes land only in the tree and its
temporary folder, not in the rest of the work directory (where the reports are kept)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROBE = """
import sys
from pathlib import Path
from assay.extract.worker import _enter_sandbox
work = Path(sys.argv[1])
assert _enter_sandbox(work / "extracted", work / "tmp")
(work / "extracted" / "inside").write_text("ok")
(work / "tmp" / "scratch").write_text("ok")
for target in (work / "extract-modes.jsonl", work / "forged", work.parent / "canary.txt"):
    try:
        target.write_text("forged")
    except PermissionError:
        print("refused", target.name)
"""


def test_the_sandbox_confines_writes_to_the_tree(tmp_path: Path) -> None:
    work = tmp_path / "work"
    for folder in ("extracted", "tmp"):
        (work / folder).mkdir(parents=True)
    (work / "extract-modes.jsonl").write_text("[]\n")
    (tmp_path / "canary.txt").write_text("canary")
    run = subprocess.run(
        [sys.executable, "-c", PROBE, str(work)], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split("\n")[:3] == [
        "refused extract-modes.jsonl",
        "refused forged",
        "refused canary.txt",
    ]
    assert (work / "extracted" / "inside").read_text() == "ok"
    assert (work / "extract-modes.jsonl").read_text() == "[]\n"
    assert (tmp_path / "canary.txt").read_text() == "canary"
