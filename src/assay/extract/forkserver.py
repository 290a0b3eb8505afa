"""A long-lived parent for extraction workers, for processes that scan many images.

``python -m assay.extract.worker`` pays Python's and unblob's start-up (its handlers, libmagic,
lief, hyperscan: about 2 s of CPU) for every image. A process that scans a corpus starts this
server once instead (``enable()``); the server imports all of that and then, for each image,
forks a child that is exactly the worker a fresh process would be: a session of its own, the
file-size limit, its report handles opened before it confines itself with Landlock, then the
same ``worker.run``. The server itself never reads a target; it only forks, reaps and says so.

Protocol on the server's stdin/stdout, one line each: the parent sends the request (JSON),
the server answers the child's pid, then, when the child is gone, its exit code.
"""

from __future__ import annotations

import gc
import json
import os
import select
import subprocess
import sys
import threading
from typing import Any

SPAWN_SECONDS = 300  # the server's start-up (imports) and one fork, however loaded the machine
_server: ForkServer | None = None
_lock = threading.Lock()


class ForkServer:
    """The parent's handle on a running server (one image at a time)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assay.extract.forkserver"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._buffer = b""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def spawn(self, request: dict[str, Any]) -> Forked:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(request).encode() + b"\n")
        self.proc.stdin.flush()
        line = self.read_line(SPAWN_SECONDS)
        if line is None or not line.strip().isdigit():
            raise OSError("the extraction fork server did not start a worker")
        return Forked(self, int(line))

    def read_line(self, timeout: float | None) -> str | None:
        """The next line from the server; None if none came within ``timeout`` seconds."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                return None
            chunk = os.read(fd, 4096)
            if not chunk:
                raise OSError("the extraction fork server stopped")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode()

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()  # the server ends at the end of its input
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Forked:
    """A worker the server forked: what ``subprocess.Popen`` offers the watcher."""

    def __init__(self, server: ForkServer, pid: int) -> None:
        self.server = server
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        return self.wait_for(0)

    def wait_for(self, timeout: float) -> int | None:
        """The exit code if the worker ends within ``timeout`` seconds, else None."""
        if self.returncode is None:
            line = self.server.read_line(timeout)
            if line is not None:
                self.returncode = int(line)
        return self.returncode

    def wait(self) -> int:
        while self.returncode is None:
            line = self.server.read_line(None)
            if line is not None:
                self.returncode = int(line)
        return self.returncode


def enable() -> None:
    """Start the server for this process (extractions from now on go through it)."""
    global _server
    with _lock:
        if _server is None or not _server.alive():
            _server = ForkServer()


def disable() -> None:
    """Stop the server; extractions from now on start a fresh worker process each."""
    global _server
    with _lock:
        if _server is not None:
            _server.close()
            _server = None


def current() -> ForkServer | None:
    """The running server, if ``enable()`` started one (restarted if it died)."""
    global _server
    if _server is not None and not _server.alive():
        _server = ForkServer()
    return _server


def _child(request: dict[str, Any]) -> int:
    """In the forked child: become the worker a fresh process would be."""
    import resource

    from assay.extract import worker

    os.setsid()
    max_size = request["max_size"]
    resource.setrlimit(resource.RLIMIT_FSIZE, (max_size, max_size))
    null = os.open(os.devnull, os.O_RDONLY)
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.environ.update(request["env"])
    for key, flag in (("result", os.O_TRUNC), ("modes", os.O_APPEND), ("handlers", os.O_APPEND)):
        # opened before the sandbox, outside the writable area, as the parent would
        request[f"{key}_fd"] = os.open(request[f"{key}_path"], os.O_WRONLY | os.O_CREAT | flag)
    return worker.run(request)


def serve() -> int:
    """The server's loop: fork a worker per request line, report its pid and exit code."""
    from assay import sonames

    sonames.install()  # before unblob imports python-magic
    import assay.extract.safe_tar  # noqa: F401
    import assay.extract.worker  # noqa: F401
    from assay.extract.unblob_adapter import warm_up  # unblob, its handlers, lief, hyperscan

    warm_up()
    gc.freeze()  # what every worker inherits: never traversed again, its pages stay shared

    out = sys.stdout.fileno()
    for line in sys.stdin.buffer:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child, which never returns here
            code = 1
            try:
                code = _child(request)
            except BaseException:
                import traceback

                traceback.print_exc()  # into the worker's log
            finally:
                sys.stderr.flush()
                os._exit(code)
        os.write(out, f"{pid}\n".encode())
        _, status = os.waitpid(pid, 0)
        os.write(out, f"{os.waitstatus_to_exitcode(status)}\n".encode())
    return 0


if __name__ == "__main__":
    sys.exit(serve())
