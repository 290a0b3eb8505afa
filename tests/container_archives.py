"""Container image archives built with ``tarfile`` the way ``docker save`` and an OCI image
layout writer lay them out, from a real root filesystem (for the container input tests)."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from collections.abc import Iterable
from pathlib import Path

MEDIA = "application/vnd.oci.image"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tree_layer(root: Path, leave_out: Iterable[str] = ()) -> bytes:
    """A layer tar of every entry under ``root`` (links kept as links, modes as they are),
    in the order a layer writer walks it, without the paths in ``leave_out``."""
    skipped = {p.strip("/") for p in leave_out}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for dirpath, dirs, files in os.walk(root):
            here = Path(dirpath)
            dirs[:] = sorted(
                d for d in dirs if (here / d).relative_to(root).as_posix() not in skipped
            )
            for name in dirs + sorted(files):
                path = here / name
                rel = path.relative_to(root).as_posix()
                if rel in skipped:
                    continue
                info = tar.gettarinfo(str(path), arcname=rel)
                info.uid = info.gid = 0
                info.uname = info.gname = "root"
                if info.isreg():
                    with path.open("rb") as fh:
                        tar.addfile(info, fh)
                elif info.isdir() or info.issym():
                    tar.addfile(info)
    return buf.getvalue()


def entries_layer(
    entries: list[tuple[str, bytes | None]], modes: dict[str, int] | None = None
) -> bytes:
    """A layer of the given (path, content) entries in this order; ``None`` makes a
    directory; ``modes`` sets a file's mode (default 0644). Whiteouts are empty files named
    ``.wh.NAME`` / ``.wh..wh..opq``."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, content in entries:
            info = tarfile.TarInfo(name)
            if content is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.size, info.mode = len(content), (modes or {}).get(name, 0o644)
                tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o644, 1_700_000_000
    tar.addfile(info, io.BytesIO(data))


def _config(layers: list[bytes]) -> bytes:
    return json.dumps(
        {
            "architecture": "mips",
            "os": "linux",
            "config": {"Cmd": ["/sbin/init"]},
            "rootfs": {"type": "layers", "diff_ids": [f"sha256:{_sha(x)}" for x in layers]},
        }
    ).encode()


def docker_save(layers: list[bytes], tag: str = "example/wr703n:12.09") -> bytes:
    """The classic ``docker save`` layout: ``<id>/layer.tar`` (+ VERSION, json) per layer,
    ``<config digest>.json``, ``manifest.json`` and ``repositories``."""
    config = _config(layers)
    buf = io.BytesIO()
    names = []
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for layer in layers:
            layer_id = _sha(layer + b"id")
            _add(tar, f"{layer_id}/VERSION", b"1.0")
            _add(tar, f"{layer_id}/json", json.dumps({"id": layer_id}).encode())
            _add(tar, f"{layer_id}/layer.tar", layer)
            names.append(f"{layer_id}/layer.tar")
        _add(tar, f"{_sha(config)}.json", config)
        manifest = [{"Config": f"{_sha(config)}.json", "RepoTags": [tag], "Layers": names}]
        _add(tar, "manifest.json", json.dumps(manifest).encode())
        repo, _, version = tag.partition(":")
        _add(tar, "repositories", json.dumps({repo: {version: names[-1][:64]}}).encode())
    return buf.getvalue()


def oci_archive(layers: list[bytes], tag: str = "12.09") -> bytes:
    """An OCI image layout in a tar: gzip layer blobs, a config, a manifest, and an index
    that names it with a ``ref.name`` annotation."""
    config = _config(layers)
    blobs: dict[str, bytes] = {_sha(config): config}
    described = []
    for layer in layers:
        packed = gzip.compress(layer, mtime=0)
        blobs[_sha(packed)] = packed
        described.append(
            {
                "mediaType": f"{MEDIA}.layer.v1.tar+gzip",
                "digest": f"sha256:{_sha(packed)}",
                "size": len(packed),
            }
        )
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": f"{MEDIA}.manifest.v1+json",
            "config": {
                "mediaType": f"{MEDIA}.config.v1+json",
                "digest": f"sha256:{_sha(config)}",
                "size": len(config),
            },
            "layers": described,
        }
    ).encode()
    blobs[_sha(manifest)] = manifest
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": f"{MEDIA}.manifest.v1+json",
                "digest": f"sha256:{_sha(manifest)}",
                "size": len(manifest),
                "annotations": {"org.opencontainers.image.ref.name": tag},
            }
        ],
    }
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        _add(tar, "oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
        _add(tar, "index.json", json.dumps(index).encode())
        for digest, data in blobs.items():
            _add(tar, f"blobs/sha256/{digest}", data)
    return buf.getvalue()
