"""Where a scan unpacks when the user names no work directory.

Unpacking writes hundreds to thousands of small files and deletes them minutes later. On a
RAM-backed filesystem (Linux's ``/dev/shm``, a tmpfs) that costs a fraction of the kernel time it
costs on a disk filesystem: unsquashfs of the bundled WR703N root filesystem spent 0.01-0.02 s
of system time there against 0.03-0.16 s on this project's build machine's ext4, and 0.6-0.8 s
under its ``/tmp`` on the same ext4 (docs/extraction.md).
So a scan without ``--work-dir`` unpacks there, but only when:

- ``TMPDIR`` is not set (a user who sets it has chosen where temporary files go);
- the folder is a writable tmpfs mount;
- it has room for ``ROOM_FACTOR`` times the scan's size bound, so that a scan at its bound
  leaves most of the memory-backed space free for everything else.

A folder there holds memory until it is deleted. The scan deletes its own, but a process that
is killed outright (SIGKILL, a Dask worker lost mid-task) cannot, so each folder's name carries
the process id of its maker (``assay-1234-…``) and making a new one first removes those, in the
same root, of makers that are gone and that belong to this user.

Otherwise, and for ``--keep-work`` (kept files would hold memory until someone deletes them),
the system's temporary folder is used as before. The sandbox limits (size, depth, time,
Landlock) are the same wherever the folder is.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

RAM_FOLDER = Path("/dev/shm")
ROOM_FACTOR = 2


def scratch_root(bound: int, keep: bool = False) -> Path | None:
    """The folder to make work directories in: the RAM-backed one when it suits, else ``None``
    (the system's temporary folder)."""
    if keep or os.environ.get("TMPDIR"):
        return None
    try:
        if not _is_tmpfs(RAM_FOLDER) or not os.access(RAM_FOLDER, os.W_OK | os.X_OK):
            return None
        if shutil.disk_usage(RAM_FOLDER).free < ROOM_FACTOR * bound:
            return None
    except OSError:
        return None
    return RAM_FOLDER


def make_work_dir(prefix: str, bound: int, keep: bool = False, base: Path | None = None) -> Path:
    """A new private (0700) work directory: in ``base`` when given, else in ``scratch_root``;
    named ``PREFIX<pid>-<random>``, after removing the ones of makers that are gone. A folder
    to keep (``keep``) is named without the pid, so that no later sweep removes it."""
    root = base if base is not None else scratch_root(bound, keep)
    folder = Path(root if root is not None else tempfile.gettempdir())
    sweep(folder, prefix)
    named = prefix if keep else f"{prefix}{os.getpid()}-"
    return Path(tempfile.mkdtemp(prefix=named, dir=folder))


def sweep(folder: Path, prefix: str) -> list[Path]:
    """Remove the work directories ``PREFIX<pid>-…`` in ``folder`` whose maker is gone and that
    belong to this user; return them."""
    pattern = re.compile(re.escape(prefix) + r"(\d+)-[^/]+")
    gone: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return gone
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if not match or _alive(int(match.group(1))):
            continue
        try:
            if not entry.is_dir(follow_symlinks=False) or entry.stat().st_uid != os.getuid():
                continue
        except OSError:
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        gone.append(Path(entry.path))
    return gone


def _is_tmpfs(folder: Path) -> bool:
    """Whether ``folder`` is a mount point of a tmpfs (a RAM-backed file system)."""
    try:
        mounts = Path("/proc/self/mounts").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) > 2 and fields[1] == str(folder):
            return fields[2] == "tmpfs"
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process, or not a pid we can ask about: leave it
    return True
