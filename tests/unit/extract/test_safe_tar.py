"""safe_tar on its own (without the worker's sandbox, so the logic alone must hold)."""

from __future__ import annotations

import io
import os
import stat
import tarfile
from pathlib import Path
from typing import Any

from assay.extract import modes
from assay.extract.rootfs import RootFS
from assay.extract.safe_tar import MAX_HEADER_DATA, is_tar, unpack_tar
from hostile_archives import OWNED, assert_untouched, make_canary, symlink_then_file

BIG = 10 << 20


def archive(tmp_path: Path, members: list[tuple[str, dict[str, Any], bytes]]) -> Path:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, attrs, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            for key, value in attrs.items():
                setattr(info, key, value)
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    path = tmp_path / "a.tar"
    path.write_bytes(buffer.getvalue())
    return path


def unpack(tmp_path: Path, path: Path, **bounds: int) -> tuple[Path, list[str]]:
    dest = tmp_path / "extracted" / "archive"
    tmp_path.mkdir(exist_ok=True)
    log = os.open(tmp_path / modes.LOG_NAME, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        problems = unpack_tar(
            path, dest, log, bounds.get("max_size", BIG), bounds.get("max_entries", 1000)
        )
    finally:
        os.close(log)
    return dest, [p["message"] for p in problems]


def test_links_are_never_written_through(tmp_path: Path) -> None:
    canary = make_canary(tmp_path / "host")
    path = tmp_path / "a.tar"
    path.write_bytes(symlink_then_file(canary))
    dest, problems = unpack(tmp_path, path)
    assert_untouched(canary)
    assert (dest / "x").read_bytes() == OWNED and not (dest / "x").is_symlink()
    assert any("written through a symbolic link" in p for p in problems)


def test_size_and_entry_bounds_stop_the_unpacking(tmp_path: Path) -> None:
    many = [(f"f{i}", {}, b"x" * 100) for i in range(50)]
    dest, problems = unpack(tmp_path, archive(tmp_path, many), max_entries=10)
    assert len(list(dest.iterdir())) == 10
    assert problems == ["archive holds more than 10 entries: the entry bound was reached"]
    dest, problems = unpack(tmp_path / "2", archive(tmp_path, many), max_size=1050)
    assert sum(p.stat().st_size for p in dest.iterdir()) == 1050
    assert "the size bound was reached" in problems[0]


def test_hard_link_copies_count_against_the_size_bound(tmp_path: Path) -> None:
    members = [("big", {}, b"z" * 1000)]
    members += [(f"copy{i}", {"type": tarfile.LNKTYPE, "linkname": "big"}, b"") for i in range(9)]
    dest, problems = unpack(tmp_path, archive(tmp_path, members), max_size=5000)
    assert sum(p.stat().st_size for p in dest.iterdir()) == 5000
    assert all(p.stat().st_nlink == 1 for p in dest.iterdir())
    assert "the size bound was reached" in problems[0]


def test_modes_are_logged_and_read_back(tmp_path: Path) -> None:
    path = archive(
        tmp_path,
        [
            ("bin", {"type": tarfile.DIRTYPE, "mode": 0o755}, b""),
            ("bin/su", {"mode": 0o4755, "uid": 0, "gid": 0}, b"su"),
            ("bin/mail", {"mode": 0o2755, "uid": 8, "gid": 12}, b"mail"),
            ("tmp", {"type": tarfile.DIRTYPE, "mode": 0o1777}, b""),
            ("etc/w", {"mode": 0o666}, b"w"),
        ],
    )
    dest, problems = unpack(tmp_path, path)
    assert problems == []
    assert stat.S_IMODE((dest / "bin/su").stat().st_mode) == 0o755  # harmless on disk
    assert stat.S_IMODE((dest / "etc/w").stat().st_mode) == 0o644
    recorded = modes.load(tmp_path / modes.LOG_NAME)
    fs = RootFS(dest, recorded=modes.for_root(recorded, tmp_path / "extracted", dest))
    seen = {e.path: (stat.S_IMODE(e.mode), e.uid, e.gid) for e in fs.walk()}
    assert seen["/bin/su"] == (0o4755, 0, 0)
    assert seen["/bin/mail"] == (0o2755, 8, 12)
    assert seen["/tmp"] == (0o1777, 0, 0)
    assert seen["/etc/w"][0] == 0o666
    assert fs.modes_source == "the archive's headers"
    assert [e for e in fs.walk() if e.path == "/bin/su"][0].is_file


def test_a_torn_log_line_is_skipped(tmp_path: Path) -> None:
    log = tmp_path / modes.LOG_NAME
    log.write_text('["archive/a", 2541, 0, 0]\n["archive/b", 4')
    assert modes.load(log) == {"archive/a": modes.Recorded(0o4755, 0, 0)}


def test_a_truncated_archive_keeps_what_came_before(tmp_path: Path) -> None:
    path = archive(tmp_path, [("a", {}, b"1" * 600), ("b", {}, b"2" * 5000)])
    path.write_bytes(path.read_bytes()[:2500])
    dest, problems = unpack(tmp_path, path)
    assert (dest / "a").read_bytes() == b"1" * 600
    assert problems and "truncated or corrupt" in problems[-1]


def test_oversized_header_data_is_refused_without_reading_it(tmp_path: Path) -> None:
    """tarfile reads a pax header's data whole into memory: a 1.5 GB one of zeros is a few
    MB of tar.gz. Anything over the bound is refused (shown here just over it)."""
    header = tarfile.TarInfo("././@PaxHeader")
    header.type = tarfile.XHDTYPE
    header.size = MAX_HEADER_DATA + 1
    data = header.tobuf(format=tarfile.USTAR_FORMAT) + bytes(MAX_HEADER_DATA + 512)
    path = tmp_path / "pax.tar"
    path.write_bytes(data + bytes(1024))
    assert is_tar(path)
    _dest, problems = unpack(tmp_path, path)
    assert problems == [f"a member's header data claims {MAX_HEADER_DATA + 1} bytes: refused"]


def test_a_nul_byte_in_a_pax_link_target_is_one_problem(tmp_path: Path) -> None:
    record = b"linkpath=a\x00b\n"
    line = b"%d " % (len(record) + 3) + record  # a pax record counts its own length
    pax = tarfile.TarInfo("././@PaxHeader")
    pax.type = tarfile.XHDTYPE
    pax.size = len(line)
    link = tarfile.TarInfo("l")
    link.type = tarfile.SYMTYPE
    after = tarfile.TarInfo("after")
    data = pax.tobuf(format=tarfile.USTAR_FORMAT) + line + bytes(-len(line) % 512)
    data += link.tobuf(format=tarfile.USTAR_FORMAT) + after.tobuf(format=tarfile.USTAR_FORMAT)
    path = tmp_path / "nul.tar"
    path.write_bytes(data + bytes(1024))
    dest, problems = unpack(tmp_path, path)
    assert problems == ["member could not be written (ValueError)"]
    assert (dest / "after").is_file()
