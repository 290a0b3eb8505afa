"""Which of the entries unblob is about to look at could lead anywhere.

unblob looks at every file of every tree it unpacks: it asks libmagic what the file is (about
a millisecond a file, most of its time on a root filesystem's scripts and text), hashes it
three ways, then scans it with the handlers' patterns. Only a pattern match can start a chunk;
a file in which no handler's pattern occurs ends with nothing carved and nothing unpacked
(only reports we do not read). The same scan, with unblob's own pattern database for the
same handlers, is done here first (hyperscan, a few microseconds a file), and unblob is given
only the entries where something could happen: directories, regular files with a match,
anything unusual. Links, device nodes and files without a match are left out (for them
unblob would only have recorded their type and hash).
"""

from __future__ import annotations

import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pyperscan import Scan
from unblob.finder import build_hyperscan_database
from unblob.models import Task

BLOCK = 1 << 20  # bytes handed to the stream scanner at a time


class Prescan:
    """Answers ``wanted(task)``: whether unblob could find anything in the entry."""

    def __init__(self, handlers: Sequence[Any]) -> None:
        self.database = build_hyperscan_database(tuple(handlers))  # unblob caches it
        self.dropped = 0

    def wanted(self, task: Task) -> bool:
        if task.is_multi_file:  # part of a multi-file format: unblob's own bookkeeping
            return True
        try:
            mode = task.path.lstat().st_mode
        except OSError:
            return True  # let unblob meet (and report) the problem itself
        if stat.S_ISDIR(mode):
            return True
        if stat.S_ISREG(mode):
            try:
                keep = self._any_match(task.path)
            except OSError:
                return True
        else:  # links, devices, fifos, sockets: unblob ignores them
            keep = False
        self.dropped += not keep
        return keep

    def _any_match(self, path: Path) -> bool:
        found: list[bool] = []

        def on_match(_context: Any, _handler: Any, _start: int, _end: int) -> Scan:
            found.append(True)
            return Scan.Terminate

        scanner = self.database.build(None, on_match)
        with path.open("rb") as fh:
            while not found and (block := fh.read(BLOCK)):
                scanner.scan(block)
        return bool(found)
