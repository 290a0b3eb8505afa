"""Unpack a tar archive of a root filesystem. Runs inside the extraction worker (Landlock).

Every write goes through directory handles opened with ``O_NOFOLLOW``, so no member is ever
written through a symbolic link, the final component included: a member whose parent is a
link (to anywhere) is refused, and an existing link or file of the member's name is removed
first, as tar does. Hard links are made as copies, and only of regular files this archive
already wrote. Nothing outside the tree is read or linked.

Files land with harmless permissions (0644/0755, no setuid, nothing world-writable); the
archive's own mode, owner and group of every member are written ahead to a log
(``modes.ModeLog``) that ``RootFS`` reads, so the checks see the image's modes.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tarfile
import zlib
from pathlib import Path
from typing import IO

from assay.extract.modes import ModeLog

COPY_BLOCK = 1 << 20
OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
CREATE_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
READ_ERRORS = (tarfile.TarError, OSError, EOFError, zlib.error, MemoryError)
MAX_HEADER_DATA = 1 << 20  # bytes of pax/GNU long-name metadata for one member
HEADER_TYPES = (
    tarfile.XHDTYPE,
    tarfile.XGLTYPE,
    tarfile.SOLARIS_XHDTYPE,
    tarfile.GNUTYPE_LONGNAME,
    tarfile.GNUTYPE_LONGLINK,
)


class OversizedHeader(tarfile.ReadError):
    """A member's metadata claims more bytes than any real archive needs (tarfile would read
    it whole into memory)."""


def bounded_tarinfo(refused: list[str]) -> type[tarfile.TarInfo]:
    """A TarInfo that refuses oversized metadata and notes it in ``refused`` (``tarfile.open``
    turns the error raised while it reads the first member into a generic one)."""

    class BoundedTarInfo(tarfile.TarInfo):
        def _proc_member(self, owner: tarfile.TarFile) -> tarfile.TarInfo:
            if self.type in HEADER_TYPES and self.size > MAX_HEADER_DATA:
                refused.append(f"a member's header data claims {self.size} bytes: refused")
                raise OversizedHeader(refused[-1])
            return super()._proc_member(owner)  # type: ignore[misc,no-any-return]

    return BoundedTarInfo


class BoundReached(Exception):
    """A bound (bytes or entries) was reached: stop unpacking, keep what is there."""


def is_tar(path: Path) -> bool:
    """A tar archive (plain or compressed) with at least one member.

    A stream of zeros is a valid *empty* tar to ``tarfile``; such a file (or a compressed
    bomb of zeros) is left to the firmware extractor instead.
    """
    refused: list[str] = []
    try:
        with tarfile.open(path, tarinfo=bounded_tarinfo(refused)) as tar:
            return tar.next() is not None
    except READ_ERRORS:
        return bool(refused)  # a tar archive, and a hostile one: refused by unpack_tar


class _Problems:
    """Problems grouped by reason: one line each, with the first member and a count."""

    def __init__(self) -> None:
        self.by_reason: dict[str, tuple[str, str, int]] = {}

    def add(self, path: str, message: str, resolution: str = "member skipped") -> None:
        first, res, count = self.by_reason.get(message, (path, resolution, 0))
        self.by_reason[message] = (first, res, count + 1)

    def as_dicts(self) -> list[dict[str, str]]:
        out = []
        for message, (path, resolution, count) in self.by_reason.items():
            text = message if count == 1 else f"{message} ({count} members, first shown)"
            out.append({"path": path, "message": text, "resolution": resolution})
        return out


class _Tree:
    """The destination directory, written only through no-follow directory handles."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root_fd = os.open(root, OPEN_DIR)
        self.files: set[str] = set()  # regular files this archive wrote (for hard links)
        self._cached: tuple[tuple[str, ...], int] | None = None

    def close(self) -> None:
        self._drop_cache()
        os.close(self.root_fd)

    def _drop_cache(self) -> None:
        if self._cached is not None:
            os.close(self._cached[1])
            self._cached = None

    def parent(self, parts: tuple[str, ...], create: bool) -> int | None:
        """A handle on the directory ``parts`` (created if asked), or None when a component
        is missing, is not a directory or is a symbolic link. The handle stays owned here."""
        if not all(_plain(p) for p in parts):
            return None
        if self._cached is not None and self._cached[0] == parts:
            return self._cached[1]
        fd = os.dup(self.root_fd)
        try:
            for part in parts:
                try:
                    child = os.open(part, OPEN_DIR, dir_fd=fd)
                except FileNotFoundError:
                    if not create:
                        raise
                    os.mkdir(part, 0o755, dir_fd=fd)
                    child = os.open(part, OPEN_DIR, dir_fd=fd)
                os.close(fd)
                fd = child
        except OSError:
            os.close(fd)
            return None
        self._drop_cache()
        self._cached = (parts, fd)
        return fd

    def clear(self, dir_fd: int, name: str) -> bool:
        """Make room for a new entry: remove a file or link of that name; False for a dir."""
        try:
            st = os.lstat(name, dir_fd=dir_fd)
        except FileNotFoundError:
            return True
        if stat.S_ISDIR(st.st_mode):
            return False
        os.unlink(name, dir_fd=dir_fd)
        return True

    def remove(self, parts: tuple[str, ...]) -> bool:
        """Remove the entry ``parts`` (a directory with all it holds), reached without links;
        False when it is not there. A link is removed itself, never what it points to."""
        parent = self.parent(parts[:-1], create=False) if parts else None
        if parent is None or not _plain(parts[-1]):
            return False
        try:
            st = os.lstat(parts[-1], dir_fd=parent)
        except FileNotFoundError:
            return False
        self._drop_cache()  # the cached handle may be the removed directory or inside it
        parent = self.parent(parts[:-1], create=False)
        if parent is None:
            return False
        if stat.S_ISDIR(st.st_mode):
            shutil.rmtree(parts[-1], dir_fd=parent)  # handle-based: never follows a link
        else:
            os.unlink(parts[-1], dir_fd=parent)
        return True

    def children(self, parts: tuple[str, ...]) -> list[tuple[str, bool]]:
        """The entries of directory ``parts`` as (name, is a directory), or [] when it is not
        a directory reached without links."""
        parent = self.parent(parts, create=False)
        if parent is None:
            return []
        with os.scandir(parent) as entries:
            return [(e.name, e.is_dir(follow_symlinks=False)) for e in entries]

    def open_extracted(self, name: str) -> int | None:
        """A read handle on a regular file this archive wrote, reached without links."""
        if name not in self.files:
            return None
        parts = member_parts(name)
        parent = self.parent(parts[:-1], create=False)
        if parent is None:
            return None
        try:
            fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW, dir_fd=parent)
        except OSError:
            return None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return None
        return fd


class TarUnpacker:
    """One archive into one tree, within a byte and an entry bound."""

    def __init__(self, dest: Path, log: ModeLog, max_size: int, max_entries: int) -> None:
        self.tree = _Tree(dest)
        self.log = log
        self.max_size = max_size
        self.max_entries = max_entries
        self.written = 0
        self.entries = 0
        self.problems = _Problems()

    def run(self, archive: Path, fileobj: IO[bytes] | None = None) -> list[dict[str, str]]:
        """Unpack ``archive`` (read from ``fileobj`` when given: a layer inside another
        archive; ``archive`` then only names it)."""
        refused: list[str] = []
        try:
            name = None if fileobj is not None else archive
            with tarfile.open(name, fileobj=fileobj, tarinfo=bounded_tarinfo(refused)) as tar:
                while (member := tar.next()) is not None:
                    self._member(tar, member)
                    if len(tar.members) > 1000:  # type: ignore[attr-defined]
                        tar.members = []  # type: ignore[attr-defined]  # keep no index in memory
        except BoundReached:
            pass
        except READ_ERRORS as err:
            if refused:
                self.problems.add(archive.name, refused[0], "the rest was not unpacked")
            else:
                why = "out of memory" if isinstance(err, MemoryError) else type(err).__name__
                self.problems.add(
                    archive.name, f"archive truncated or corrupt ({why})", "partial result"
                )
        finally:
            self.tree.close()
        return self.problems.as_dicts()

    def _member(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        self.entries += 1
        if self.entries > self.max_entries:
            self.problems.add(
                member.name,
                f"archive holds more than {self.max_entries} entries: the entry bound was reached",
                "the rest of the archive was not unpacked",
            )
            raise BoundReached
        name = clean_name(member.name)
        reason = _refusal(member, name)
        if reason:
            self.problems.add(member.name, reason)
            return
        if member.name.startswith("/"):
            self.problems.add(member.name, "absolute member name", "made relative")
        parts = member_parts(name)
        parent = self.tree.parent(parts[:-1], create=True)
        if parent is None:
            self.problems.add(
                member.name, "member would be written through a symbolic link or a file"
            )
            return
        leaf = parts[-1]
        if not _plain(leaf):
            self.problems.add(member.name, "unsupported member name")
            return
        self.log.record(name, member.mode, member.uid, member.gid)
        try:
            self._create(tar, member, parent, leaf, name)
        except (OSError, ValueError) as err:  # ValueError: a NUL byte in a pax link target
            self.problems.add(member.name, f"member could not be written ({errno_name(err)})")

    def _create(
        self, tar: tarfile.TarFile, member: tarfile.TarInfo, parent: int, leaf: str, name: str
    ) -> None:
        if member.isdir():
            self._directory(parent, leaf)
        elif not self.tree.clear(parent, leaf):
            self.problems.add(member.name, "a directory of the same name is already there")
        elif member.issym():
            os.symlink(member.linkname, leaf, dir_fd=parent)
        elif member.islnk():
            self._hard_link(parent, leaf, name, member)
        else:
            source = tar.extractfile(member)
            self._write(parent, leaf, name, member.mode, source)

    def _directory(self, parent: int, leaf: str) -> None:
        try:
            os.mkdir(leaf, 0o755, dir_fd=parent)
        except FileExistsError:
            if self.tree.clear(parent, leaf):
                os.mkdir(leaf, 0o755, dir_fd=parent)

    def _hard_link(self, parent: int, leaf: str, name: str, member: tarfile.TarInfo) -> None:
        target = clean_name(member.linkname)
        fd = self.tree.open_extracted(target)
        if fd is None:
            self.problems.add(
                member.name, "hard link to a file not unpacked from this archive before it"
            )
            return
        with os.fdopen(fd, "rb") as source:
            self._write(parent, leaf, name, member.mode, source)

    def _write(
        self, parent: int, leaf: str, name: str, mode: int, source: IO[bytes] | None
    ) -> None:
        perm = 0o755 if mode & 0o111 else 0o644
        fd = os.open(leaf, CREATE_FILE, perm, dir_fd=parent)
        with os.fdopen(fd, "wb") as out:
            while source is not None and (block := source.read(COPY_BLOCK)):
                self.written += len(block)
                if self.written > self.max_size:
                    out.write(block[: len(block) - (self.written - self.max_size)])
                    self.problems.add(
                        name,
                        f"archive expands to more than {self.max_size} bytes: "
                        "the size bound was reached",
                        "the rest was not unpacked; raise --max-size if the archive is genuine",
                    )
                    raise BoundReached
                out.write(block)
        self.tree.files.add(name)


def unpack_tar(
    archive: Path, dest: Path, log_fd: int, max_size: int, max_entries: int
) -> list[dict[str, str]]:
    """Unpack ``archive`` into ``dest``; return the problems met, as plain dicts. The modes
    are logged to the open handle ``log_fd``."""
    log = ModeLog(log_fd, prefix=dest.name)
    return TarUnpacker(dest, log, max_size, max_entries).run(archive)


def clean_name(name: str) -> str:
    return "/".join(member_parts(name))


def member_parts(name: str) -> tuple[str, ...]:
    """The components of a member name, split on "/" alone (``PurePosixPath`` keeps a
    leading "//" as a component, which ``os.open`` would take as the host's root)."""
    return tuple(p for p in name.split("/") if p not in ("", "."))


def _plain(part: str) -> bool:
    """One directory entry name: never a path, never "." or ".." (relative to a handle)."""
    return part not in ("", ".", "..") and "/" not in part and "\0" not in part


def _refusal(member: tarfile.TarInfo, name: str) -> str:
    if ".." in member.name.split("/"):
        return "member name climbs out of the archive with '..'"
    if member.isdev() or member.isfifo():
        return "device file or FIFO not created"
    if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
        return "unsupported member type"
    if not name:
        return "empty member name"
    if len(name) > 4000 or any(len(p.encode()) > 255 for p in member_parts(name)):
        return "member name too long"
    if member.islnk() and ".." in member.linkname.split("/"):
        return "hard link to outside the archive"
    return ""


def errno_name(err: Exception) -> str:
    """A short name for an OS error (no paths)."""
    code = err.errno if isinstance(err, OSError) else None
    return errno.errorcode.get(code or 0, type(err).__name__)
