"""Stop the extraction worker and every process it started.

The worker runs in a session of its own (``start_new_session``). Killing its process group
is not enough: unblob's pool puts each of its workers in a new process group, and the
extractors they run (7z, unsquashfs...) would go on writing after the worker died. All of
them stay in the worker's session, so every process of that session is killed. (Linux does
not reuse a session's number while any process is still in it.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Protocol

ROUNDS = 50


class Worker(Protocol):
    """A started worker (``subprocess.Popen``, or one the fork server started)."""

    pid: int

    def poll(self) -> int | None: ...

    def wait(self) -> int: ...


def session_members(sid: int) -> list[int]:
    """The live processes of session ``sid`` (from /proc), zombies left out."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp session ...: comm may hold spaces and parentheses
        fields = text.rsplit(")", 1)[-1].split()
        if len(fields) > 3 and fields[3] == str(sid) and fields[0] not in ("Z", "X"):
            members.append(int(entry.name))
    return members


def kill_session(proc: Worker | subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker's session until no process is left in it; reap the worker."""
    for _ in range(ROUNDS):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        members = [pid for pid in session_members(proc.pid) if pid != os.getpid()]
        for pid in members:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if proc.poll() is not None and not members:
            break
        time.sleep(0.02)
    proc.wait()
