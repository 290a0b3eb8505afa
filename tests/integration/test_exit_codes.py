"""Every way the command line fails, run as a user runs it (a subprocess): the documented exit
code, one line on stderr, no traceback unless ``--debug``/``ASSAY_DEBUG=1`` asks for it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assay", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def one_line(proc: subprocess.CompletedProcess[str]) -> str:
    err = proc.stderr.strip()
    assert "\n" not in err and "Traceback" not in err, err
    assert err.startswith("assay: error: "), err
    return err


@pytest.fixture
def malformed(tmp_path: Path) -> Path:
    """An assessment.json that passes the shape check but has an identity that is a number:
    the label renderer was not written for it (a real crash, not a deliberate error)."""
    path = tmp_path / "assessment.json"
    doc = {"schema_version": "1.0.0", "target": {"name": "fw"}, "identity": 5}
    path.write_text(json.dumps(doc))
    return path


def test_missing_target_is_exit_3(tmp_path: Path) -> None:
    proc = run("scan", str(tmp_path / "nothing.bin"), "--out", str(tmp_path / "o"))
    assert proc.returncode == 3
    assert "no such file" in one_line(proc)


def test_bad_option_is_exit_2(tmp_path: Path) -> None:
    proc = run("scan", str(tmp_path), "--max-size", "lots")
    assert proc.returncode == 2
    assert "--max-size" in one_line(proc)


def test_unexpected_exception_is_exit_2_internal_error(malformed: Path, tmp_path: Path) -> None:
    proc = run("label", str(malformed), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    err = one_line(proc)
    assert "internal error: AttributeError" in err and "please report" in err


@pytest.mark.parametrize("how", ["flag", "env"])
def test_debug_shows_the_traceback(malformed: Path, tmp_path: Path, how: str) -> None:
    args = ["label", str(malformed), "--out", str(tmp_path / "o")]
    proc = run("--debug", *args) if how == "flag" else run(*args, env={"ASSAY_DEBUG": "1"})
    assert proc.returncode == 2
    assert "Traceback (most recent call last)" in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("assay: error: internal error")


def test_deeply_nested_json_is_exit_3(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    proc = run("label", str(path), "--out", str(tmp_path / "o"))
    assert proc.returncode == 3
    assert "nested deeper than" in one_line(proc)


def test_unwritable_output_is_exit_2_with_the_reason(tmp_path: Path) -> None:
    tree = tmp_path / "rootfs"
    (tree / "etc").mkdir(parents=True)
    (tree / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    blocker = tmp_path / "file"
    blocker.write_text("")
    proc = run("scan", str(tree), "--out", str(blocker / "out"), "--no-vulns", "-q")
    assert proc.returncode == 2
    assert "Not a directory" in one_line(proc)
