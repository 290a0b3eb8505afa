"""Where a scan unpacks without --work-dir: the RAM-backed folder when it suits, else the
system's temporary folder."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from assay.extract import scratch

needs_shm = pytest.mark.skipif(
    not scratch.RAM_FOLDER.is_dir(), reason="no /dev/shm on this machine"
)


@needs_shm
def test_ram_folder_when_it_has_room(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TMPDIR", raising=False)
    assert scratch.scratch_root(1024**2) == scratch.RAM_FOLDER
    work = scratch.make_work_dir("assay-test-", 1024**2)
    try:
        assert work.parent == scratch.RAM_FOLDER
        assert work.stat().st_mode & 0o777 == 0o700
    finally:
        shutil.rmtree(work)


@needs_shm
def test_not_when_the_bound_would_not_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TMPDIR", raising=False)
    free = shutil.disk_usage(scratch.RAM_FOLDER).free
    assert scratch.scratch_root(free // scratch.ROOM_FACTOR + 1) is None


def test_tmpdir_and_keep_win(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)  # tempfile caches the folder it chose
    assert scratch.scratch_root(1) is None
    work = scratch.make_work_dir("assay-test-", 1)
    assert work.parent == tmp_path
    monkeypatch.delenv("TMPDIR")
    assert scratch.scratch_root(1, keep=True) is None


def test_a_named_base_wins(tmp_path: Path) -> None:
    assert scratch.make_work_dir("x-", 1, base=tmp_path).parent == tmp_path


def test_not_a_tmpfs_falls_back(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TMPDIR", raising=False)
    monkeypatch.setattr(scratch, "RAM_FOLDER", tmp_path)  # a plain directory, not a mount
    assert scratch.scratch_root(1) is None


def test_a_missing_ram_folder_falls_back(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TMPDIR", raising=False)
    monkeypatch.setattr(scratch, "RAM_FOLDER", tmp_path / "absent")
    assert scratch.scratch_root(1) is None


def test_folders_of_makers_that_are_gone_are_swept(tmp_path: Path) -> None:
    """A killed scan cannot remove its folder: the next one made in the same root does."""
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    gone = tmp_path / f"assay-{dead.stdout.strip()}-abc"
    (gone / "extracted").mkdir(parents=True)
    (gone / "extracted" / "f").write_bytes(b"x")
    mine = scratch.make_work_dir("assay-", 1, base=tmp_path)
    other = tmp_path / "assay-corpus-1-xyz"  # another prefix: not ours to judge
    other.mkdir()
    kept = tmp_path / "assay-notapid"
    kept.mkdir()
    live = scratch.make_work_dir("assay-", 1, base=tmp_path)
    assert not gone.exists()
    assert mine.exists() and live.exists() and other.exists() and kept.exists()
    assert mine.name.startswith(f"assay-{os.getpid()}-")


def test_a_kept_folder_is_not_named_for_the_sweep(tmp_path: Path) -> None:
    """--keep-work without --work-dir: the folder the user asked to keep carries no pid, so no
    later scan's sweep can take it for a dead scan's leftover (mkdtemp's random part has no
    "-")."""
    kept = scratch.make_work_dir("assay-", 1, keep=True, base=tmp_path)
    assert re.fullmatch(r"assay-\d+-.+", kept.name) is None
    assert scratch.make_work_dir("assay-", 1, base=tmp_path).name.startswith(
        f"assay-{os.getpid()}-"
    )
    assert kept.exists()
