"""Bounds that hold: a nested zip bomb and a tar.gz of 300,000 entries, each scanned by a real
``assay scan`` process under a memory limit, finish within their time bound and write nothing
outside the work directory."""

from __future__ import annotations

import gzip
import io
import json
import os
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from assay.extract.session import kill_session, session_members
from hostile_archives import assert_untouched, make_canary

TIMEOUT = 6  # the --timeout given to the scans (start-up and outputs take ~3 s under load)
# the fork server's own start-up (unblob's imports, paid once per corpus worker) comes on top
SERVER_START = 4
MEMORY = 3 << 30  # address space of the scan and everything it starts


def zip_bomb(levels: int = 5, fan: int = 16, leaf: int = 4 << 20) -> bytes:
    """42.zip-style: ``fan`` copies of the level below at every level, zeros at the bottom
    (16^5 files of 4 MiB: 4 TiB unpacked in all)."""
    data = bytes(leaf)
    for level in range(levels):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for i in range(fan):
                archive.writestr(f"{level}-{i}.{'bin' if level == 0 else 'zip'}", data)
        data = buffer.getvalue()
    return data


def ustar_header(name: str) -> bytes:
    """The 512-byte header of an empty regular file (written by hand: tarfile is too slow for
    300,000 of them)."""
    header = bytearray(512)
    header[0 : len(name)] = name.encode()
    header[100:108] = b"0000644\0"
    header[108:124] = b"0000000\0" * 2
    header[124:148] = b"00000000000\0" * 2
    header[148:156] = b" " * 8
    header[156:157] = b"0"
    header[257:265] = b"ustar\x0000"
    header[148:156] = b"%06o\0 " % sum(header)
    return bytes(header)


def many_entries(path: Path, count: int = 300_000) -> None:
    with gzip.open(path, "wb", compresslevel=1) as out:
        for folder in range(count // 1000):
            out.write(b"".join(ustar_header(f"d{folder}/f{i}") for i in range(1000)))
        out.write(bytes(1024))


def limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


# the same command with the extraction worker forked from the fork server (as a corpus worker)
FORKED = (
    "import sys\n"
    "from assay.extract import forkserver\n"
    "from assay.cli import main\n"
    "forkserver.enable()\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def timed_scan(
    target: Path, base: Path, *extra: str, forked: bool = False
) -> tuple[float, subprocess.Popen[bytes]]:
    """Seconds taken by ``assay scan`` of ``target`` (killed at 4x the bound if it hangs)."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [
            sys.executable,
            *(["-c", FORKED] if forked else ["-m", "assay"]),
            "scan",
            str(target),
            "--out",
            str(base / "out"),
            "--work-dir",
            str(base / "work"),
            "--keep-work",
            "--no-vulns",
            "-q",
            "--timeout",
            str(TIMEOUT),
            *extra,
        ],
        preexec_fn=limited,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        start_new_session=True,
    )
    try:
        proc.wait(timeout=TIMEOUT * 4 + 20)
    finally:
        kill_session(proc)
    return time.monotonic() - started, proc


def problems(base: Path) -> str:
    doc = json.loads((base / "out" / "assessment.json").read_text())
    return " | ".join(p["message"] for p in doc["problems"])


def no_extractor_left(base: Path) -> None:
    """No process of the scan (an extractor the worker started) is still running."""
    for pid in Path("/proc").iterdir():
        if pid.name.isdigit():
            try:
                cmdline = (pid / "cmdline").read_bytes()
            except OSError:
                continue
            assert str(base).encode() not in cmdline, cmdline


@pytest.mark.slow
@pytest.mark.parametrize("forked", [False, True], ids=["worker", "forked"])
def test_nested_zip_bomb_finishes_within_twice_the_timeout(tmp_path: Path, forked: bool) -> None:
    canary = make_canary(tmp_path / "host")
    base = tmp_path / "scan"
    base.mkdir()
    bomb = base / "bomb.zip"
    bomb.write_bytes(zip_bomb())
    assert bomb.stat().st_size < 30_000
    seconds, proc = timed_scan(bomb, base, "--max-size", "300M", forked=forked)
    assert seconds < 2 * TIMEOUT + (SERVER_START if forked else 0), seconds
    assert proc.returncode in (0, 4), proc.stderr.read() if proc.stderr else ""
    if proc.returncode == 0:
        assert "limit" in problems(base) or "bound" in problems(base)
    no_extractor_left(base)
    written = sum(f.lstat().st_blocks * 512 for f in base.rglob("*"))
    assert written < 400 << 20
    assert_untouched(canary)


@pytest.mark.slow
@pytest.mark.parametrize("forked", [False, True], ids=["worker", "forked"])
def test_many_entries_tar_gz_finishes_within_the_timeout_plus_ten_seconds(
    tmp_path: Path, forked: bool
) -> None:
    canary = make_canary(tmp_path / "host")
    base = tmp_path / "scan"
    base.mkdir()
    archive = base / "many.tar.gz"
    many_entries(archive)
    seconds, proc = timed_scan(archive, base, forked=forked)
    assert seconds < TIMEOUT + 10 + (SERVER_START if forked else 0), seconds
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    assert f"time limit of {TIMEOUT} s reached" in problems(base) or "entry bound" in problems(base)
    no_extractor_left(base)
    assert_untouched(canary)


def test_killing_the_session_stops_what_the_worker_started(tmp_path: Path) -> None:
    """unblob's pool puts its workers in process groups of their own: killing the worker's
    group alone would leave them (and the extractors they run) writing."""
    script = (
        "import os, subprocess, time\n"
        "subprocess.Popen(['sleep', '300'], preexec_fn=os.setpgrp)\n"
        "time.sleep(300)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    deadline = time.monotonic() + 10
    while len(session_members(proc.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(session_members(proc.pid)) == 2
    kill_session(proc)
    assert session_members(proc.pid) == []
