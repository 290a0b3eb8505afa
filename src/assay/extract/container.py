"""Container image archives as one root filesystem. Runs inside the extraction worker.

Two layouts are read, both as a tar archive: ``docker save`` (``manifest.json`` naming each
image's layer tars in order) and the OCI image layout (``oci-layout`` and ``index.json``,
whose manifest names its layer blobs under ``blobs/sha256``; Docker 25 and later writes
both). The layers are read straight from the outer archive, never unpacked beside the tree,
and applied in order by ``safe_tar``'s unpacker into one tree: a ``.wh.NAME`` member deletes
``NAME`` from the layers below, ``.wh..wh..opq`` empties its directory of what the layers
below put there, and neither applies to entries of its own layer (as the OCI image spec
says). Only the first image of an archive that holds several is unpacked; a problem says so.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from assay.extract.modes import ModeLog
from assay.extract.safe_tar import (
    COPY_BLOCK,
    OPEN_DIR,
    READ_ERRORS,
    BoundReached,
    TarUnpacker,
    bounded_tarinfo,
    clean_name,
    member_parts,
)

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
MAX_JSON = 4 * 1024 * 1024  # bytes of one manifest, index or config
MAX_TOP_MEMBERS = 100_000  # members looked at to tell a container archive from a rootfs
MAX_INDEX_DEPTH = 4  # image indexes nested in image indexes
# top-level names of docker save and OCI layout archives; any other name means a rootfs tar
_TOP = re.compile(
    r"^(blobs|oci-layout|index\.json|manifest\.json|repositories|[0-9a-f]{64}(\.json)?)$"
)
_DIGEST = re.compile(r"^sha256:([0-9a-f]{64})$")
_INDEX_TYPES = ("image.index", "manifest.list")


@dataclass
class ImageLayout:
    """What the archive says about its first image: its layers' member names, in order."""

    layout: str  # docker-save | oci
    layers: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    problems: list[dict[str, str]] = field(default_factory=list)

    def problem(self, path: str, message: str, resolution: str) -> None:
        self.problems.append({"path": path, "message": message, "resolution": resolution})


class _Source:
    """Named files of an image layout: members of a tar archive, or files of a directory
    reached without following links."""

    def __init__(self, tar: tarfile.TarFile | None, members: dict[str, tarfile.TarInfo]) -> None:
        self.tar = tar
        self.members = members
        self.root_fd: int | None = None

    @classmethod
    def directory(cls, root: Path) -> _Source:
        source = cls(None, {})
        source.root_fd = os.open(root, OPEN_DIR)
        return source

    def close(self) -> None:
        if self.root_fd is not None:
            os.close(self.root_fd)

    def has(self, name: str) -> bool:
        handle = self.open(name)
        if handle is None:
            return False
        handle.close()
        return True

    def open(self, name: str) -> IO[bytes] | None:
        """A regular file of the layout, or None (absent, a link, a device, a ``..`` name)."""
        if self.tar is not None:
            member = self.members.get(name)
            return self.tar.extractfile(member) if member is not None and member.isfile() else None
        parts = member_parts(name)
        if self.root_fd is None or not parts or ".." in parts:
            return None
        fd = os.dup(self.root_fd)
        try:
            for part in parts[:-1]:
                child = os.open(part, OPEN_DIR, dir_fd=fd)
                os.close(fd)
                fd = child
            leaf = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW, dir_fd=fd)
        except OSError:
            return None
        finally:
            os.close(fd)
        if not stat.S_ISREG(os.fstat(leaf).st_mode):
            os.close(leaf)
            return None
        return os.fdopen(leaf, "rb")


@contextmanager
def _opened(target: Path) -> Iterator[_Source | None]:
    """The layout's files: a directory as it is; a tar archive when its top-level names are
    all a layout's (else None, at the first other name)."""
    if target.is_dir():
        source = _Source.directory(target)
        try:
            yield source
        finally:
            source.close()
        return
    refused: list[str] = []
    with tarfile.open(target, tarinfo=bounded_tarinfo(refused)) as tar:
        members = _top_members(tar)
        yield None if members is None else _Source(tar, members)


def is_layout_dir(path: Path) -> bool:
    """A directory holding an OCI image layout or an unpacked ``docker save``."""
    return (path / "oci-layout").is_file() or (path / "manifest.json").is_file()


def find_layout(target: Path) -> ImageLayout | None:
    """The image layout of a tar archive or a directory, or None when it holds none."""
    try:
        with _opened(target) as source:
            if source is None:
                return None
            if source.has("manifest.json"):
                return _docker_save(source)
            if source.has("index.json") and source.has("oci-layout"):
                return _oci(source)
    except READ_ERRORS:
        return None
    return None


def _top_members(tar: tarfile.TarFile) -> dict[str, tarfile.TarInfo] | None:
    members: dict[str, tarfile.TarInfo] = {}
    while (member := tar.next()) is not None:
        name = clean_name(member.name)
        if not name or not _TOP.match(name.split("/", 1)[0]) or len(members) > MAX_TOP_MEMBERS:
            return None
        members[name] = member
    return members


def _read_json(source: _Source, name: str) -> Any:
    """A small JSON file of the layout, or None."""
    handle = source.open(name)
    if handle is None:
        return None
    with handle:
        data = handle.read(MAX_JSON + 1)
    if len(data) > MAX_JSON:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None


def _docker_save(source: _Source) -> ImageLayout:
    found = ImageLayout("docker-save")
    manifest = _read_json(source, "manifest.json")
    images = [m for m in manifest if isinstance(m, dict)] if isinstance(manifest, list) else []
    if not images or not isinstance(images[0].get("Layers"), list):
        found.problem(
            "manifest.json",
            "manifest.json of the docker save archive names no image layers",
            "nothing of the image was unpacked",
        )
        return found
    found.layers = [clean_name(str(layer)) for layer in images[0]["Layers"]]
    found.tags = [str(t) for t in images[0].get("RepoTags") or []]
    if len(images) > 1:
        found.problem(
            "manifest.json",
            f"the archive holds {len(images)} images; only the first "
            f"({', '.join(found.tags) or 'untagged'}) was unpacked",
            "save each image to an archive of its own to scan the others",
        )
    return found


def _oci(source: _Source) -> ImageLayout:
    found = ImageLayout("oci")
    document = _read_json(source, "index.json")
    for _ in range(MAX_INDEX_DEPTH):
        entries = document.get("manifests") if isinstance(document, dict) else None
        chosen = _choose(entries if isinstance(entries, list) else [], found)
        if chosen is None:
            break
        document = _read_json(source, _blob(str(chosen.get("digest", ""))))
        media = str(chosen.get("mediaType", "")) or str((document or {}).get("mediaType", ""))
        if isinstance(document, dict) and not any(t in media for t in _INDEX_TYPES):
            for layer in document.get("layers") or []:
                digest = str(layer.get("digest", "")) if isinstance(layer, dict) else ""
                if "zstd" in str(layer.get("mediaType", "")):
                    found.problem(digest, "a zstd-compressed layer cannot be read", "layer skipped")
                    continue
                found.layers.append(_blob(digest) or digest)
            return found
    found.problem(
        "index.json",
        "the OCI image layout names no image manifest that is in the archive",
        "nothing of the image was unpacked",
    )
    return found


def _choose(entries: list[Any], found: ImageLayout) -> dict[str, Any] | None:
    """The manifest to follow: the first for linux/amd64 or without a platform, else the
    first; the image's tag from its annotations."""
    usable = [e for e in entries if isinstance(e, dict) and _blob(str(e.get("digest", "")))]
    if not usable:
        return None
    for entry in usable:
        platform = entry.get("platform")
        if not isinstance(platform, dict) or (
            platform.get("os") in (None, "linux")
            and platform.get("architecture") in (None, "amd64")
        ):
            chosen = entry
            break
    else:
        chosen = usable[0]
    annotations = chosen.get("annotations")
    if isinstance(annotations, dict) and annotations.get("org.opencontainers.image.ref.name"):
        found.tags.append(str(annotations["org.opencontainers.image.ref.name"]))
    if len(usable) > 1:
        found.problem(
            "index.json",
            f"the image index lists {len(usable)} manifests; only one was unpacked",
            "the others (other platforms or images) were not scanned",
        )
    return chosen


def _blob(digest: str) -> str:
    match = _DIGEST.match(digest)
    return f"blobs/sha256/{match[1]}" if match else ""


class LayerUnpacker(TarUnpacker):
    """One layer applied on the tree the layers below made: whiteouts delete from those."""

    def __init__(self, dest: Path, log: ModeLog, max_size: int, max_entries: int) -> None:
        super().__init__(dest, log, max_size, max_entries)
        self.made: set[str] = set()  # entries this layer wrote
        self.above: set[str] = set()  # directories holding entries this layer wrote
        self.removed = 0

    def _member(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        parts = member_parts(member.name)
        if not parts or not parts[-1].startswith(WHITEOUT) or ".." in parts:
            super()._member(tar, member)
            name = "/".join(parts)
            self.made.add(name)
            self.above.update("/".join(parts[:i]) for i in range(1, len(parts)))
            return
        self.entries += 1
        if self.entries > self.max_entries:
            self.problems.add(
                member.name,
                f"the image holds more than {self.max_entries} entries: the entry bound was "
                "reached",
                "the rest of the image was not unpacked",
            )
            raise BoundReached
        if parts[-1] == OPAQUE:
            self._opaque(parts[:-1])
        else:
            target = (*parts[:-1], parts[-1][len(WHITEOUT) :])
            if "/".join(target) not in self.made and self.tree.remove(target):
                self.removed += 1

    def _opaque(self, folder: tuple[str, ...]) -> None:
        """Remove what the layers below put in ``folder``; keep this layer's entries."""
        for name, is_dir in self.tree.children(folder):
            path = (*folder, name)
            key = "/".join(path)
            if key in self.above or (is_dir and key in self.made):
                self._opaque(path)
            elif key not in self.made and self.tree.remove(path):
                self.removed += 1


def unpack_image(
    archive: Path, layout: ImageLayout, dest: Path, log_fd: int, max_size: int, max_entries: int
) -> list[dict[str, str]]:
    """Apply the layers of ``layout``, read from ``archive``, in order into ``dest``; return
    the problems met. Bytes and entries are bounded over all layers together."""
    problems = list(layout.problems)
    log = ModeLog(log_fd, prefix=dest.name)
    written = entries = 0
    with _opened(archive) as source:
        for number, name in enumerate(layout.layers, start=1):
            handle = source.open(name) if source is not None else None
            if handle is None:
                problems.append(
                    {
                        "path": name,
                        "message": f"layer {number} is not in the archive",
                        "resolution": "the image was unpacked without it: files may be missing",
                    }
                )
                continue
            with handle:
                problems += _digest_problems(number, name, handle)
                layer = LayerUnpacker(dest, log, max_size - written, max_entries - entries)
                problems += layer.run(Path(name), handle)
            written += layer.written
            entries += layer.entries
            if written >= max_size or entries >= max_entries:
                break
    return problems


def _digest_problems(number: int, name: str, handle: IO[bytes]) -> list[dict[str, str]]:
    """An OCI blob is named by the SHA-256 of its bytes: say so when they differ (a damaged
    or altered layer is still unpacked, as it is what the archive holds). The handle is left
    at its start."""
    expected = name.rsplit("/", 1)[-1] if name.startswith("blobs/sha256/") else ""
    if not expected:
        return []
    digest = hashlib.sha256()
    while block := handle.read(COPY_BLOCK):
        digest.update(block)
    handle.seek(0)
    if digest.hexdigest() == expected:
        return []
    return [
        {
            "path": name,
            "message": f"layer {number} does not match its digest (sha256:{digest.hexdigest()})",
            "resolution": "unpacked as it is: the layer was damaged or altered after it was made",
        }
    ]
