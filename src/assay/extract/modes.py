"""The modes, owners and groups an archive gave its members, kept beside the unpacked tree.

Files are unpacked with harmless permissions (no setuid bit, nothing world-writable lands in
the work directory); the image's own values are logged here, one JSON line per member,
written *before* the member is created, so a worker stopped at a bound leaves no unpacked
entry without its line. ``RootFS`` reads them back through ``load``.

For images unpacked by unblob, the files' own modes are the image's only where the extractor
keeps them; which unblob handler unpacked which directory is logged the same way, and
``modes_known`` tells whether a root filesystem's modes can be trusted.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

LOG_NAME = "extract-modes.jsonl"
HANDLERS_LOG_NAME = "extract-handlers.jsonl"
# unblob handlers whose extractor sets each file's mode from the image (unsquashfs, jefferson,
# ubireader, debugfs rdump, unblob's own tar); cpio, cramfs (7z), romfs, yaffs... do not
KEEPS_MODES = frozenset(
    {"squashfs_v3", "squashfs_v4_le", "jffs2_old", "jffs2_new", "ubifs", "extfs", "tar"}
)


@dataclass(frozen=True)
class Recorded:
    """What the image says about one entry (permission bits include setuid/setgid/sticky)."""

    perm: int  # mode & 0o7777
    uid: int
    gid: int


class ModeLog:
    """Append-only writer on a handle the parent opened (the worker's sandbox lets it write
    nowhere but the extraction tree); ``prefix`` is the tree's path below the extraction
    directory."""

    def __init__(self, fd: int, prefix: str) -> None:
        self.fd = fd
        self.prefix = prefix.strip("/")

    def record(self, name: str, mode: int, uid: int, gid: int) -> None:
        line = json.dumps([f"{self.prefix}/{name}", mode & 0o7777, uid, gid]) + "\n"
        os.write(self.fd, line.encode())


def load(log_path: Path) -> dict[str, Recorded]:
    """Every recorded entry, keyed by its path below the extraction directory (a later line
    wins, as the later member does in the archive)."""
    if not log_path.is_file():
        return {}
    out: dict[str, Recorded] = {}
    with log_path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                rel, perm, uid, gid = json.loads(line)
            except (ValueError, TypeError):
                continue  # the last line of a worker stopped mid-write
            if isinstance(rel, str) and all(isinstance(v, int) for v in (perm, uid, gid)):
                out[rel] = Recorded(perm & 0o7777, uid, gid)
    return out


def for_root(
    recorded: Mapping[str, Recorded], extract_dir: Path, root: Path
) -> dict[str, Recorded]:
    """The entries below ``root`` (a directory inside ``extract_dir``), keyed by image path
    (``/usr/bin/passwd``)."""
    try:
        rel = root.resolve().relative_to(extract_dir.resolve()).as_posix()
    except ValueError:
        return {}
    if rel == ".":
        return {"/" + k: v for k, v in recorded.items()}
    prefix = rel + "/"
    out = {"/" + k[len(prefix) :]: v for k, v in recorded.items() if k.startswith(prefix)}
    if rel in recorded:
        out["/"] = recorded[rel]
    return out


def log_handler(fd: int, rel_dir: str, handler: str) -> None:
    """Note that ``handler`` unpacked into ``rel_dir`` (below the extraction directory)."""
    os.write(fd, (json.dumps([rel_dir, handler]) + "\n").encode())


def load_handlers(log_path: Path) -> dict[str, str]:
    if not log_path.is_file():
        return {}
    out: dict[str, str] = {}
    with log_path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                rel, handler = json.loads(line)
            except (ValueError, TypeError):
                continue
            if isinstance(rel, str) and isinstance(handler, str):
                out[rel] = handler
    return out


def modes_known(handlers: Mapping[str, str], extract_dir: Path, root: Path) -> bool:
    """Whether the files under ``root`` carry the image's modes: true when the innermost
    unblob extraction holding ``root`` was made by a handler that keeps them."""
    try:
        rel = root.resolve().relative_to(extract_dir.resolve()).as_posix()
    except ValueError:
        return False
    holders = [k for k in handlers if rel == k or rel.startswith(k + "/")]
    return bool(holders) and handlers[max(holders, key=len)] in KEEPS_MODES
