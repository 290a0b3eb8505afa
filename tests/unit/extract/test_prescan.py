"""The pre-scan that spares unblob the entries where none of its handlers' patterns occur."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from pathlib import Path

from unblob.models import Task, TaskResult

from assay.extract.prescan import Prescan
from assay.extract.unblob_adapter import Bounds, _Limiter, _patched_handlers


def task(path: Path, **extra: bool) -> Task:
    return Task(path=path, depth=1, blob_id="b", **extra)


def test_only_entries_where_a_handler_could_start_a_chunk_are_kept(tmp_path: Path) -> None:
    script = tmp_path / "rc.local"
    script.write_text("#!/bin/sh\n# nothing to unpack here\nexit 0\n" * 50)
    packed = tmp_path / "www.tar.gz"
    packed.write_bytes(gzip.compress(b"<html>index</html>\n" * 100))
    buried = tmp_path / "blob.bin"  # a tar archive after 100 KB of other bytes
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        info = tarfile.TarInfo("etc/passwd")
        data = b"root:x:0:0::/root:/bin/sh\n"
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    buried.write_bytes(bytes(range(97, 123)) * 4000 + archive.getvalue())
    empty = tmp_path / "empty"
    empty.touch()
    link = tmp_path / "sh"
    link.symlink_to("busybox")
    fifo = tmp_path / "initctl"
    os.mkfifo(fifo)
    folder = tmp_path / "usr"
    folder.mkdir()

    prescan = Prescan(_patched_handlers())
    assert prescan.wanted(task(packed)) and prescan.wanted(task(buried))
    assert prescan.wanted(task(folder))
    assert prescan.wanted(task(script, is_multi_file=True))  # unblob's own bookkeeping
    assert prescan.wanted(task(tmp_path / "gone"))  # unblob meets and reports it
    for left_out in (script, empty, link, fifo):
        assert not prescan.wanted(task(left_out)), left_out.name
    assert prescan.dropped == 4


def test_left_out_entries_still_count_towards_the_entry_bound(tmp_path: Path) -> None:
    for i in range(30):
        (tmp_path / f"f{i}.txt").write_text("plain text\n")
    parent = Task(path=tmp_path, depth=1, blob_id="p")
    result = TaskResult(task=parent, subtasks=[task(p) for p in sorted(tmp_path.iterdir())])
    limiter = _Limiter(Bounds(10, 25, 1000), prescan=Prescan(_patched_handlers()))
    limiter.keep(result, tmp_path, Path("fw.bin"))
    assert result.subtasks == []
    assert limiter.entries == 30
    assert "the entry bound was reached" in limiter.notes["entries"]["message"]
