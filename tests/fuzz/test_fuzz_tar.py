"""Fuzzing safe unpacking through its public entry points (``is_tar``, ``unpack``): tar
archives built from hostile members (``..`` and absolute names, symbolic links to a canary
outside, a link then a file of the same name, hard links, devices, FIFOs). Whatever the
archive, the canary and its folder stay untouched and the answer is a result or an
``AssayError``."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from assay.errors import AssayError
from assay.extract.safe_tar import is_tar
from assay.extract.unpack import unpack

# Each example may start the extraction worker: fewer examples than the other parsers.
EXAMPLES = max(8, settings().max_examples // 10)
NAMES = st.lists(st.sampled_from(["a", "b", "..", ".", "", "etc", "passwd", "link", "x"]),
                 min_size=1, max_size=4).map("/".join)  # fmt: skip
KINDS = [tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.FIFOTYPE,
         tarfile.CHRTYPE]  # fmt: skip


@st.composite
def members(draw: st.DrawFn, outside: str) -> list[tuple[str, bytes, str, int]]:
    """(name, type, link target, mode) of each member; targets often point outside."""
    out = []
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        name = draw(st.one_of(NAMES, NAMES.map(lambda n: "/" + n)))
        kind = draw(st.sampled_from(KINDS))
        escapes = [outside, f"{outside}/canary", "../../../canary", "/etc/passwd"]
        target = draw(st.one_of(NAMES, st.sampled_from(escapes)))
        out.append((name, kind, target, draw(st.sampled_from([0o644, 0o4755, 0o777, 0o000]))))
    return out


def _tar(spec: list[tuple[str, bytes, str, int]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, kind, target, mode in spec:
            info = tarfile.TarInfo(name)
            info.type, info.mode = kind, mode
            data = b""
            if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
                info.linkname = target
            elif kind == tarfile.REGTYPE:
                data = b"written by the archive\n"
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@settings(
    max_examples=EXAMPLES,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a failure is reported, not shrunk
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_hostile_tar_archives_stay_inside(tmp_path: Path, data: st.DataObject) -> None:
    case = tmp_path / f"case-{len(list(tmp_path.iterdir()))}"
    outside = case / "outside"
    outside.mkdir(parents=True)
    canary = outside / "canary"
    canary.write_text("untouched\n")
    archive = case / "image.tar"
    archive.write_bytes(_tar(data.draw(members(str(outside)))))
    try:
        unpack(archive, case / "work", timeout=30, max_depth=4, max_size=1 << 20)
    except AssayError as err:
        assert "\n" not in err.message
    assert canary.read_text() == "untouched\n"
    assert sorted(p.name for p in outside.iterdir()) == ["canary"]


@given(st.binary(max_size=2048), st.integers(min_value=0, max_value=2048))
def test_is_tar_never_raises(
    tmp_path_factory: pytest.TempPathFactory, noise: bytes, at: int
) -> None:
    base = _tar([("a", tarfile.REGTYPE, "", 0o644), ("b", tarfile.SYMTYPE, "/etc/passwd", 0o777)])
    path = tmp_path_factory.mktemp("tar") / "x.tar"
    path.write_bytes(base[:at] + noise + base[at + len(noise) :])
    assert is_tar(path) in (True, False)
