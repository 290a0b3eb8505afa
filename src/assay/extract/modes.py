"""The modes, owners and groups an archive gave its members, kept beside the unpacked tree.

Files are unpacked with harmless permissions (no setuid bit, nothing world-writable lands in
the work directory); the image's own values are logged here, one JSON line per member,
written *before* the member is created, so a worker stopped at a bound leaves no unpacked
entry without its line. ``RootFS`` reads them back through ``load``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

LOG_NAME = "extract-modes.jsonl"


@dataclass(frozen=True)
class Recorded:
    """What the image says about one entry (permission bits include setuid/setgid/sticky)."""

    perm: int  # mode & 0o7777
    uid: int
    gid: int


class ModeLog:
    """Append-only writer; ``prefix`` is the tree's path below the extraction directory."""

    def __init__(self, path: Path, prefix: str) -> None:
        self.path = path
        self.prefix = prefix.strip("/")
        self.fd = -1

    def __enter__(self) -> ModeLog:
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        os.close(self.fd)

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
