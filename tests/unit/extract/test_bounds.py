"""The bounds added around unblob (entries, fan-out) and the trust put in extracted modes."""

from __future__ import annotations

from pathlib import Path

from unblob.models import Task, TaskResult

from assay.extract import modes
from assay.extract.unblob_adapter import Bounds, _Limiter

ROOT = Path("/work/extracted")


def result(depth: int, children: int, deeper: bool) -> TaskResult:
    parent = Task(path=ROOT / "a", depth=depth, blob_id="p")
    subtasks = [
        Task(path=ROOT / f"a/{i}", depth=depth + (1 if deeper else 0), blob_id=f"c{i}")
        for i in range(children)
    ]
    return TaskResult(task=parent, subtasks=subtasks)


def test_fan_out_is_bounded_per_level() -> None:
    limiter = _Limiter(Bounds(max_depth=10, max_entries=10_000, max_fanout=16))
    first = result(1, 10, deeper=True)
    limiter.keep(first, ROOT, Path("fw.bin"))
    second = result(1, 10, deeper=True)
    limiter.keep(second, ROOT, Path("fw.bin"))
    assert len(first.subtasks) == 10 and len(second.subtasks) == 6
    other_level = result(2, 10, deeper=True)
    limiter.keep(other_level, ROOT, Path("fw.bin"))
    assert len(other_level.subtasks) == 10
    files = result(1, 50, deeper=False)  # the files of one directory: not archives
    limiter.keep(files, ROOT, Path("fw.bin"))
    assert len(files.subtasks) == 50
    [note] = limiter.notes.values()
    assert note["message"] == (
        "more than 16 archives unpacked at nesting level 2: the fan-out bound was reached"
    )


def test_entries_are_bounded_in_all() -> None:
    limiter = _Limiter(Bounds(max_depth=10, max_entries=25, max_fanout=1000))
    kept = 0
    for _ in range(5):
        batch = result(1, 10, deeper=False)
        limiter.keep(batch, ROOT, Path("fw.bin"))
        kept += len(batch.subtasks)
    assert kept == 25
    assert "the entry bound was reached" in limiter.notes["entries"]["message"]


def test_modes_are_trusted_only_from_extractors_that_keep_them(tmp_path: Path) -> None:
    extracted = tmp_path / "extracted"
    handlers = {
        "fw.bin_extract/0-100.squashfs_v4_le_extract": "squashfs_v4_le",
        "fw.bin_extract/0-100.squashfs_v4_le_extract/x.cpio_extract": "cpio_portable_ascii",
    }
    squash = extracted / "fw.bin_extract/0-100.squashfs_v4_le_extract"
    assert modes.modes_known(handlers, extracted, squash)
    assert modes.modes_known(handlers, extracted, squash / "sub")
    assert not modes.modes_known(handlers, extracted, squash / "x.cpio_extract" / "root")
    assert not modes.modes_known(handlers, extracted, extracted / "elsewhere")
    assert not modes.modes_known(handlers, extracted, tmp_path / "outside")
