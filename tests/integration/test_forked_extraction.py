"""The extraction worker forked from the fork server (as a corpus worker runs it) keeps every
property of a freshly started one: the containment and bound tests run again through it, and
the bundled image gives the same components and vulnerabilities either way."""

from __future__ import annotations

import os
import resource
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# the same tests, collected again here and run with the fork server on (fixture below)
from test_contained_extraction import (  # noqa: F401
    test_archive_modes_reach_the_checks,
    test_compressed_archives_are_contained_too,
    test_hard_links_never_read_a_host_file,
    test_hard_links_never_write_to_a_host_file,
    test_modes_an_extractor_drops_make_the_mode_checks_inconclusive,
    test_no_write_through_a_link_final_component_included,
)
from test_hostile import (  # noqa: F401
    test_decompression_bomb_is_bounded,
    test_deep_nesting_is_bounded,
    test_random_bytes,
    test_tar_with_traversal_links_and_devices,
    test_time_bound,
    test_truncated_image_gives_a_partial_result,
)

from assay.extract import forkserver
from assay.pipeline import ScanOptions, assess


@pytest.fixture(autouse=True)
def forked() -> Iterator[None]:
    forkserver.enable()
    yield
    forkserver.disable()


def _seen(doc: dict[str, Any]) -> tuple[Any, Any]:
    return doc["components"], doc["vulnerabilities"]


def test_the_forked_worker_is_the_same_worker(wr703n_image: Path, tmp_path: Path) -> None:
    server = forkserver.current()
    assert server is not None
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    forked = assess(wr703n_image, ScanOptions(work_dir=tmp_path / "f")).assessment.to_dict()
    # no worker process of our own was started: the server forked it
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime == before
    assert server.alive()
    forkserver.disable()
    fresh = assess(wr703n_image, ScanOptions(work_dir=tmp_path / "p")).assessment.to_dict()
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime > before
    assert _seen(forked) == _seen(fresh)
    assert len(forked["components"]) > 50


def test_the_forked_worker_has_a_session_and_a_size_limit_of_its_own(tmp_path: Path) -> None:
    server = forkserver.current()
    assert server is not None
    work = tmp_path / "w"
    (work / "tmp").mkdir(parents=True)
    paths = {f"{k}_path": str(work / f"{k}.log") for k in ("result", "modes", "handlers")}
    request = {
        "image": "/nonexistent/image",
        "extract_root": str(work / "extracted"),
        "tmp": str(work / "tmp"),
        "max_depth": 1,
        "max_size": 12345,
        "max_entries": 10,
        "max_fanout": 10,
        "processes": 1,
        "log": str(work / "extract.log"),
        "env": {"TMPDIR": str(work / "tmp")},
        **paths,
    }
    child = server.spawn(request)
    assert child.wait() != 0  # no such image: the worker fails, and says why in its log
    assert "nonexistent" in (work / "extract.log").read_text()
    assert child.pid != os.getpid()
    # the pid was a session leader: its session is gone with it
    assert not any(f.name.isdigit() and _sid(f) == child.pid for f in Path("/proc").iterdir())


def _sid(proc: Path) -> int:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[-1].split()[3])
    except (OSError, IndexError, ValueError):
        return -1


def test_a_dead_server_is_replaced(tmp_path: Path) -> None:
    import io
    import tarfile

    archive = tmp_path / "rootfs.tar"
    with tarfile.open(archive, "w") as tar:  # the smallest tree that is a root filesystem
        for name, data in (
            ("etc/passwd", b"root:x:0:0:root:/root:/bin/ash\n"),
            ("bin/ash", b"#!"),
            ("lib/ld.so", b"\x7fELF"),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    server = forkserver.current()
    assert server is not None
    server.proc.kill()
    server.proc.wait()
    doc = assess(archive, ScanOptions(work_dir=tmp_path / "w", match_vulnerabilities=False))
    assert not any("stopped unexpectedly" in p.message for p in doc.assessment.problems)
    replaced = forkserver.current()
    assert replaced is not None and replaced is not server and replaced.alive()
