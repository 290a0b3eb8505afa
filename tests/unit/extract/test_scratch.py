"""The default work directory: in memory (/dev/shm) only when it has room and TMPDIR is unset."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from assay.extract import scratch

SHM_IS_TMPFS = scratch._is_tmpfs(scratch.SHM)


def test_the_users_tmpdir_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    assert scratch.memory_folder(1024) is None
    work = scratch.make_temp_work_dir(1024)
    try:
        assert work.parent == tmp_path and work.is_dir() and not any(work.iterdir())
    finally:
        shutil.rmtree(work)


@pytest.mark.skipif(not SHM_IS_TMPFS, reason="/dev/shm is not a tmpfs here")
def test_memory_only_with_room_for_twice_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TMPDIR", raising=False)
    stats = os.statvfs(scratch.SHM)
    free = stats.f_bavail * stats.f_frsize
    assert scratch.memory_folder(free // 4) == scratch.SHM
    assert scratch.memory_folder(free) is None  # would not fit twice over
    work = scratch.make_temp_work_dir(1024)
    try:
        assert work.parent == scratch.SHM and work.name.startswith("assay-")
    finally:
        shutil.rmtree(work)


def test_a_folder_that_is_not_tmpfs_is_not_memory() -> None:
    assert not scratch._is_tmpfs(Path("/proc/no-such-mount"))
