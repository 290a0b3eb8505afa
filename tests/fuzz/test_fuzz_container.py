"""Fuzzing container image archives (``assay.extract.container``, in-process, as the worker
calls it): any JSON in ``manifest.json`` / ``index.json``, and layers of hostile members
(whiteouts with ``..`` and through links, links to a canary outside, opaque markers). Whatever
the archive, the answer is a layout or None and a list of problems; the canary and its folder
stay untouched."""

from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from assay.extract.container import find_layout, unpack_image

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
PART = st.sampled_from(["a", "etc", "..", ".wh.a", ".wh..wh..opq", ".wh.etc", "link", ".wh.."])
NAMES = st.lists(PART, min_size=1, max_size=3).map("/".join)
LAYER_NAME = "0" * 64 + "/layer.tar"


def _add(tar: tarfile.TarFile, info: tarfile.TarInfo, data: bytes = b"") -> None:
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _layer(members: list[tuple[str, bool, str]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, is_link, target in members:
            info = tarfile.TarInfo(name)
            if is_link:
                info.type, info.linkname = tarfile.SYMTYPE, target
                _add(tar, info)
            else:
                _add(tar, info, b"layer data\n")
    return buf.getvalue()


@st.composite
def archives(draw: st.DrawFn, outside: str) -> bytes:
    targets = st.sampled_from([outside, f"{outside}/canary", "../../outside", "a"])
    member = st.tuples(NAMES, st.booleans(), targets)
    layers = [_layer(draw(st.lists(member, max_size=6))) for _ in range(2)]
    names = [f"{i}" * 64 + "/layer.tar" for i in range(len(layers))]
    manifest = draw(
        st.one_of(
            JSON,
            st.just([{"Layers": names}]),
            st.lists(st.sampled_from([*names, "../outside/canary", LAYER_NAME]), max_size=3).map(
                lambda layers: [{"Layers": layers}]
            ),
        )
    )
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in zip(names, layers, strict=True):
            _add(tar, tarfile.TarInfo(name), data)
        _add(tar, tarfile.TarInfo("manifest.json"), json.dumps(manifest).encode())
        if draw(st.booleans()):
            _add(tar, tarfile.TarInfo("index.json"), json.dumps(draw(JSON)).encode())
            _add(tar, tarfile.TarInfo("oci-layout"), b"{}")
    return buf.getvalue()


@given(data=st.data())
def test_hostile_container_archives_stay_inside(tmp_path: Path, data: st.DataObject) -> None:
    case = tmp_path / f"case-{len(list(tmp_path.iterdir()))}"
    outside = case / "outside"
    outside.mkdir(parents=True)
    canary = outside / "canary"
    canary.write_text("untouched\n")
    archive = case / "image.tar"
    archive.write_bytes(data.draw(archives(str(outside))))
    layout = find_layout(archive)
    if layout is not None:
        fd = os.open(case / "modes.jsonl", os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            problems = unpack_image(archive, layout, case / "tree" / "rootfs", fd, 1 << 20, 100)
        finally:
            os.close(fd)
        assert all("\n" not in p["message"] for p in problems)
    assert canary.read_text() == "untouched\n"
    assert sorted(p.name for p in outside.iterdir()) == ["canary"]
