"""Run Python code or the Assay CLI in a child process under memory and CPU limits, and
measure it: for tests that feed bombs (a regression must fail the test, not the machine).

The limits are set by the child itself and the peak memory is the child's own high-water
mark (``VmHWM``), read as it exits: ``ru_maxrss`` of a child forked from pytest would count
the pages it shared with pytest before ``exec``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")

_WRAPPER = """
import atexit, resource, runpy, sys
limit, cpu, report = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
def _peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            open(report, "w").write(line.split()[1])
atexit.register(_peak)
sys.argv = sys.argv[4:]
if sys.argv[0] == "-c":
    code, sys.argv = sys.argv[1], ["-c", *sys.argv[2:]]
    exec(compile(code, "<bounded>", "exec"), {"__name__": "__main__"})
else:
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
"""


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str
    peak_mib: float
    seconds: float


def run_bounded(
    args: list[str], tmp: Path, memory: int = 1 << 30, cpu_seconds: int = 60
) -> Outcome:
    """``args`` is ``["-c", CODE, ...]`` or ``[MODULE, ...]`` (e.g. ``["assay", "feeds", ...]``)."""
    report = tmp / "peak.kib"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, str(memory), str(cpu_seconds), str(report), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": SRC},
        timeout=cpu_seconds * 4,
    )
    seconds = time.monotonic() - started
    peak = int(report.read_text()) / 1024 if report.exists() else float("nan")
    return Outcome(done.returncode, done.stdout, done.stderr, peak, seconds)
