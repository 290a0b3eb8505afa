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

import json
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assay.extract.modes import ModeLog
from assay.extract.safe_tar import (
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


def find_layout(archive: Path) -> ImageLayout | None:
    """The image layout of a tar archive, or None when it is not a container image archive
    (the first member outside the two layouts' top-level names says so at once)."""
    refused: list[str] = []
    try:
        with tarfile.open(archive, tarinfo=bounded_tarinfo(refused)) as tar:
            members = _top_members(tar)
            if members is None:
                return None
            if "manifest.json" in members:
                return _docker_save(tar, members)
            if "index.json" in members and "oci-layout" in members:
                return _oci(tar, members)
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


def _read_json(tar: tarfile.TarFile, member: tarfile.TarInfo | None) -> Any:
    """A small JSON member (a regular file), or None."""
    if member is None or not member.isfile() or member.size > MAX_JSON:
        return None
    source = tar.extractfile(member)
    if source is None:
        return None
    try:
        return json.loads(source.read(MAX_JSON))
    except ValueError:
        return None


def _docker_save(tar: tarfile.TarFile, members: dict[str, tarfile.TarInfo]) -> ImageLayout:
    found = ImageLayout("docker-save")
    manifest = _read_json(tar, members["manifest.json"])
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


def _oci(tar: tarfile.TarFile, members: dict[str, tarfile.TarInfo]) -> ImageLayout:
    found = ImageLayout("oci")
    document = _read_json(tar, members["index.json"])
    for _ in range(MAX_INDEX_DEPTH):
        entries = document.get("manifests") if isinstance(document, dict) else None
        chosen = _choose(entries if isinstance(entries, list) else [], found)
        if chosen is None:
            break
        document = _read_json(tar, members.get(_blob(str(chosen.get("digest", "")))))
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
    refused: list[str] = []
    with tarfile.open(archive, tarinfo=bounded_tarinfo(refused)) as tar:
        members = {clean_name(m.name): m for m in tar.getmembers()}
        for number, name in enumerate(layout.layers, start=1):
            member = members.get(name)
            source = tar.extractfile(member) if member is not None and member.isfile() else None
            if source is None:
                problems.append(
                    {
                        "path": name,
                        "message": f"layer {number} is not in the archive",
                        "resolution": "the image was unpacked without it: files may be missing",
                    }
                )
                continue
            layer = LayerUnpacker(dest, log, max_size - written, max_entries - entries)
            problems += layer.run(Path(name), source)
            written += layer.written
            entries += layer.entries
            if written >= max_size or entries >= max_entries:
                break
    return problems
