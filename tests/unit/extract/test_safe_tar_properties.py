"""Property-based: whatever sequence of members an archive holds (names with ``..`` and
absolute parts, links to the host, links then files of the same name, hard links to
anything), ``safe_tar`` writes nothing outside its tree, never changes a host file, never
writes through a link, and never copies a host file's bytes in."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from assay.extract.safe_tar import unpack_tar

SECRET = b"host secret bytes"
PARTS = ["a", "b", "x", "..", ".", "HOST", "ROOT"]


def _names() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(PARTS), min_size=1, max_size=4).map("/".join)


MEMBER = st.tuples(
    st.sampled_from(["file", "dir", "sym", "hard"]),
    _names(),
    st.booleans(),  # an absolute name
    _names(),  # a link's target
    st.booleans(),  # an absolute link target
)


def _archive(members: list[tuple[str, str, bool, str, bool]], host: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for kind, name, absolute, target, absolute_target in members:
            name = name.replace("HOST", str(host).lstrip("/")).replace("ROOT", "")
            target = target.replace("HOST", str(host).lstrip("/")).replace("ROOT", "")
            info = tarfile.TarInfo(("/" if absolute else "") + name)
            info.type = {
                "file": tarfile.REGTYPE,
                "dir": tarfile.DIRTYPE,
                "sym": tarfile.SYMTYPE,
                "hard": tarfile.LNKTYPE,
            }[kind]
            info.linkname = ("/" if absolute_target else "") + target
            data = b"ARCHIVE" if kind == "file" else b""
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if kind == "file" else None)
    return buffer.getvalue()


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"<dir>"
        for p in sorted(folder.rglob("*"))
    }


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(MEMBER, min_size=1, max_size=12))
@example([("file", "a", False, "a", False), ("file", "ROOT/HOST/b", True, "a", False)])
def test_nothing_escapes_the_tree(
    tmp_path_factory: pytest.TempPathFactory, members: list[tuple[str, str, bool, str, bool]]
) -> None:
    base = tmp_path_factory.mktemp("prop")
    host = base / "host"
    (host / "a").mkdir(parents=True)
    (host / "x").write_bytes(SECRET)
    (host / "a" / "b").write_bytes(SECRET)
    before = _snapshot(base)
    archive = base / "a.tar"
    archive.write_bytes(_archive(members, host))
    dest = base / "work" / "extracted" / "archive"
    dest.parent.mkdir(parents=True)
    log = os.open(base / "work" / "modes.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        unpack_tar(archive, dest, log, 1 << 20, 1000)
    finally:
        os.close(log)
    after = _snapshot(base)
    outside = {k: v for k, v in after.items() if not k.startswith("work")}
    assert outside == {**before, "a.tar": archive.read_bytes()}
    for path in dest.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert SECRET not in path.read_bytes(), path
            assert path.stat().st_nlink == 1
