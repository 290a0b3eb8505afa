"""Container layers applied by ``assay.extract.container`` (called here in-process, the way
the worker calls it): whiteout semantics of the OCI image spec, and hostile layers that try
to delete or read outside the tree through links and ``..``."""

from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

from assay.extract.container import ImageLayout, find_layout, unpack_image
from container_archives import docker_save, entries_layer, oci_archive


def symlink_layer(name: str, target: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.type, info.linkname = tarfile.SYMTYPE, target
        tar.addfile(info)
    return buf.getvalue()


def apply(tmp_path: Path, archive_bytes: bytes) -> tuple[Path, list[dict[str, str]]]:
    tmp_path.mkdir(exist_ok=True)
    archive = tmp_path / "image.tar"
    archive.write_bytes(archive_bytes)
    layout = find_layout(archive)
    assert layout is not None
    dest = tmp_path / "extracted" / "rootfs"
    fd = os.open(tmp_path / "modes.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        problems = unpack_image(archive, layout, dest, fd, 10 << 20, 10_000)
    finally:
        os.close(fd)
    return dest, problems


def files(tree: Path) -> set[str]:
    return {p.relative_to(tree).as_posix() for p in tree.rglob("*")}


def test_whiteouts_and_opaque_directories_follow_the_spec(tmp_path: Path) -> None:
    lower = entries_layer(
        [
            ("etc", None),
            ("etc/keep", b"k"),
            ("etc/gone", b"g"),
            ("opt", None),
            ("opt/app", None),
            ("opt/app/old", b"o"),
            ("opt/app/sub", None),
            ("opt/app/sub/deep", b"d"),
        ]
    )
    upper = entries_layer(
        [
            ("etc/.wh.gone", b""),
            ("etc/.wh.absent", b""),  # a whiteout of nothing is no error
            ("opt/app/sub/new", b"n"),  # written before the marker: still kept
            ("opt/app/.wh..wh..opq", b""),
            ("opt/app/fresh", b"f"),
            ("etc/added", b"a"),
            ("etc/.wh.added", b""),  # a whiteout never hides its own layer
        ]
    )
    tree, problems = apply(tmp_path, docker_save([lower, upper]))
    assert problems == []
    assert files(tree) == {
        "etc",
        "etc/keep",
        "etc/added",
        "opt",
        "opt/app",
        "opt/app/sub",
        "opt/app/sub/new",
        "opt/app/fresh",
    }


def test_a_whiteout_through_a_link_deletes_nothing_outside(tmp_path: Path) -> None:
    host = tmp_path / "host"
    host.mkdir()
    (host / "secret").write_text("keep me")
    (host / "dir").mkdir()
    (host / "dir" / "file").write_text("keep me too")
    layers = [
        symlink_layer("etc", str(host)),
        entries_layer([("etc/.wh.secret", b""), ("etc/.wh.dir", b""), ("etc/.wh..wh..opq", b"")]),
        symlink_layer("link", str(host / "dir")),
        entries_layer([(".wh.link", b"")]),  # removes the link itself, not what it names
    ]
    tree, _problems = apply(tmp_path / "scan", oci_archive(layers))
    assert (host / "secret").read_text() == "keep me"
    assert (host / "dir" / "file").read_text() == "keep me too"
    assert (tree / "etc").is_symlink()
    assert not (tree / "link").exists() and not (tree / "link").is_symlink()


def test_a_manifest_naming_files_outside_the_archive_reads_nothing(tmp_path: Path) -> None:
    secret = tmp_path / "host.tar"
    secret.write_bytes(entries_layer([("etc", None), ("etc/shadow", b"root:SECRET:0:")]))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        manifest = [{"Config": "c.json", "Layers": ["../" * 8 + str(secret).lstrip("/")]}]
        data = json.dumps(manifest).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    tree, problems = apply(tmp_path / "scan", buf.getvalue())
    assert files(tree) == set()
    assert problems and "not in the archive" in problems[0]["message"]


def test_a_rootfs_tarball_is_no_container_image(tmp_path: Path) -> None:
    archive = tmp_path / "rootfs.tar"
    archive.write_bytes(entries_layer([("etc", None), ("manifest.json", b"[]")]))
    assert find_layout(archive) is None
    assert find_layout(tmp_path / "missing.tar") is None


def test_several_images_unpack_the_first_and_say_so(tmp_path: Path) -> None:
    one = docker_save([entries_layer([("a", b"1")])])
    with tarfile.open(fileobj=io.BytesIO(one)) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    layout = ImageLayout("docker-save", layers=manifest[0]["Layers"])
    assert layout.layers[0].endswith("/layer.tar")
    doubled = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(one)) as src,
        tarfile.open(fileobj=doubled, mode="w") as out,
    ):
        for member in src.getmembers():
            data = src.extractfile(member)
            if member.name == "manifest.json":
                text = json.dumps(manifest * 2).encode()
                member.size = len(text)
                data = io.BytesIO(text)
            out.addfile(member, data)
    tree, problems = apply(tmp_path, doubled.getvalue())
    assert files(tree) == {"a"}
    assert any("holds 2 images; only the first" in p["message"] for p in problems)


def test_a_layout_directory_never_follows_a_linked_blob(tmp_path: Path) -> None:
    host = tmp_path / "host-layer.tar"
    host.write_bytes(entries_layer([("etc", None), ("etc/shadow", b"root:SECRET:0:")]))
    layout = tmp_path / "layout"
    with tarfile.open(fileobj=io.BytesIO(oci_archive([entries_layer([("a", b"1")])]))) as tar:
        tar.extractall(layout, filter="data")
    found = find_layout(layout)
    assert found is not None and found.layout == "oci" and len(found.layers) == 1
    blob = layout / found.layers[0]
    blob.unlink()
    blob.symlink_to(host)  # the layer blob replaced by a link to a host file
    dest = tmp_path / "extracted" / "rootfs"
    fd = os.open(tmp_path / "modes.jsonl", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        problems = unpack_image(layout, found, dest, fd, 1 << 20, 100)
    finally:
        os.close(fd)
    assert files(dest) == set()
    assert "layer 1 is not in the archive" in problems[0]["message"]


def test_a_layer_that_does_not_match_its_digest_is_reported(tmp_path: Path) -> None:
    import gzip

    layout = tmp_path / "layout"
    with tarfile.open(fileobj=io.BytesIO(oci_archive([entries_layer([("a", b"1")])]))) as tar:
        tar.extractall(layout, filter="data")
    found = find_layout(layout)
    assert found is not None
    (layout / found.layers[0]).write_bytes(gzip.compress(entries_layer([("b", b"2")])))
    dest = tmp_path / "extracted" / "rootfs"
    fd = os.open(tmp_path / "modes.jsonl", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        problems = unpack_image(layout, found, dest, fd, 1 << 20, 100)
    finally:
        os.close(fd)
    assert files(dest) == {"b"}  # what the archive holds, said to be altered
    assert [p["message"].split(" (")[0] for p in problems] == ["layer 1 does not match its digest"]
