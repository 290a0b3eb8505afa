"""A read-only, traversal-safe view of an unpacked root filesystem.

Paths handed in and out are *image paths*: absolute inside the image (``/etc/shadow``).
Symbolic links are followed as the device would follow them (an absolute target is taken
from the image root), and never lead outside the root: a link that would is treated as
dangling. Device files, FIFOs and sockets are never opened.

Modes, owners and groups are the image's: for an unpacked archive they come from the
archive's headers (``recorded``; the files on disk carry harmless permissions), otherwise
from the files as they are on disk. ``modes_known`` is False when neither can be trusted.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from assay.extract.modes import Recorded

MAX_LINK_HOPS = 40


@dataclass(frozen=True)
class FileEntry:
    """One entry met while walking the tree."""

    path: str  # image path, e.g. "/usr/sbin/dropbear"
    real: Path  # where it is on disk (inside the work directory)
    mode: int  # the image's mode: file type from disk, permission bits as recorded
    size: int
    uid: int
    gid: int

    @property
    def is_file(self) -> bool:
        return stat.S_ISREG(self.mode)

    @property
    def is_symlink(self) -> bool:
        return stat.S_ISLNK(self.mode)

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.mode)


class RootFS:
    """A root filesystem on disk, seen from inside."""

    def __init__(
        self,
        root: Path,
        label: str = "",
        recorded: Mapping[str, Recorded] | None = None,
        modes_known: bool = True,
    ) -> None:
        self.root = root.resolve()
        self._root = str(self.root).rstrip("/")  # "" for "/": components are joined with "/"
        self.label = label or root.name
        self.recorded: Mapping[str, Recorded] = recorded or {}
        self.modes_known = modes_known
        self._files: list[str] | None = None  # image paths of the regular files, once walked
        self._resolved: dict[str, Path | None] = {}  # the catalog and checks ask again and again

    @property
    def modes_source(self) -> str:
        """Where the modes, owners and groups seen in ``walk`` come from."""
        return "the archive's headers" if self.recorded else "the files as unpacked"

    def __repr__(self) -> str:
        return f"RootFS({str(self.root)!r})"

    # --- path handling -------------------------------------------------------------------
    @staticmethod
    def normalize(path: str) -> str:
        """Make an image path absolute and clean, without touching the disk."""
        parts: list[str] = []
        for part in PurePosixPath("/" + path).parts[1:]:
            if part in ("", "."):
                continue
            if part == "..":
                if parts:
                    parts.pop()
                continue
            parts.append(part)
        return "/" + "/".join(parts)

    def resolve(self, path: str) -> Path | None:
        """The on-disk path for an image path, following links inside the image only (each
        path is resolved once: the WR703N's catalog and checks ask 2,016 times for 875)."""
        if path not in self._resolved:
            self._resolved[path] = self._resolve(path)
        return self._resolved[path]

    def _resolve(self, path: str) -> Path | None:
        # strings, not pathlib: this runs for every file the catalog and the checks read
        pending = [p for p in self.normalize(path).split("/") if p]
        done: list[str] = []
        hops = 0
        while pending:
            part = pending.pop(0)
            if part == "..":
                if done:
                    done.pop()
                continue
            if part in ("", "."):
                continue
            candidate = "/".join([self._root, *done, part])
            try:
                st = os.lstat(candidate)
            except OSError:
                return None
            if stat.S_ISLNK(st.st_mode):
                hops += 1
                if hops > MAX_LINK_HOPS:
                    return None
                target = os.readlink(candidate)
                if target.startswith("/"):
                    done = []
                # split on "/" alone: PurePosixPath keeps a leading "//" as one component
                pending = [p for p in target.split("/") if p] + pending
                continue
            done.append(part)
        real = self.root.joinpath(*done)
        return real if real == self.root or self.root in real.parents else None

    def image_path(self, real: Path) -> str:
        """The image path of an on-disk path inside this root."""
        rel = real.relative_to(self.root).as_posix()
        return "/" if rel == "." else "/" + rel

    # --- reading ------------------------------------------------------------------------
    def exists(self, path: str) -> bool:
        return self.resolve(path) is not None

    def is_file(self, path: str) -> bool:
        real = self.resolve(path)
        return real is not None and stat.S_ISREG(real.lstat().st_mode)

    def is_dir(self, path: str) -> bool:
        real = self.resolve(path)
        return real is not None and stat.S_ISDIR(real.lstat().st_mode)

    def read_bytes(self, path: str, limit: int | None = None) -> bytes | None:
        """The bytes of a regular file (at most ``limit``), or None if it is not one."""
        real = self.resolve(path)
        if real is None or not stat.S_ISREG(real.lstat().st_mode):
            return None
        with real.open("rb") as fh:
            return fh.read() if limit is None else fh.read(limit)

    def read_text(self, path: str, limit: int | None = None) -> str | None:
        data = self.read_bytes(path, limit)
        return None if data is None else data.decode("utf-8", errors="replace")

    def readlink(self, path: str) -> str | None:
        """The raw target of a symbolic link (as stored in the image)."""
        clean = PurePosixPath(self.normalize(path))
        parent = self.resolve(str(clean.parent))  # the folders on the way, inside the image
        if parent is None or clean.name == "":
            return None
        try:
            return os.readlink(parent / clean.name)
        except OSError:
            return None

    def listdir(self, path: str) -> list[str]:
        real = self.resolve(path)
        if real is None or not real.is_dir():
            return []
        return sorted(p.name for p in real.iterdir())

    # --- walking ------------------------------------------------------------------------
    def walk(self) -> Iterator[FileEntry]:
        """Every entry under the root, sorted, without following links."""
        root = str(self.root)
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames.sort()
            base = Path(dirpath)
            # the folder's image path, from strings (pathlib's relative_to per entry was a
            # good part of the catalog's and the checks' time)
            folder = "" if dirpath == root else "/" + os.path.relpath(dirpath, root)
            for name in sorted(dirnames + filenames):
                try:
                    st = os.lstat(os.path.join(dirpath, name))
                except OSError:
                    continue
                path = folder + "/" + name
                mode, uid, gid = st.st_mode, st.st_uid, st.st_gid
                if (known := self.recorded.get(path)) is not None:
                    mode = stat.S_IFMT(mode) | known.perm
                    uid, gid = known.uid, known.gid
                real = base / name
                yield FileEntry(path=path, real=real, mode=mode, size=st.st_size, uid=uid, gid=gid)

    def glob(self, pattern: str) -> list[str]:
        """Image paths of regular files matching a glob (``*`` does not cross ``/``)."""
        pattern = self.normalize(pattern)
        if self._files is None:  # the tree is read, not written: one walk serves every glob
            self._files = [e.path for e in self.walk() if e.is_file]
        return [path for path in self._files if _glob_match(path, pattern)]


def _glob_match(path: str, pattern: str) -> bool:
    """fnmatch where ``*`` stays within one path segment and ``**/`` spans any depth."""
    if "**" in pattern:
        return fnmatch.fnmatchcase(path, pattern.replace("**/", "*"))
    if path.count("/") != pattern.count("/"):
        return False
    return fnmatch.fnmatchcase(path, pattern)
