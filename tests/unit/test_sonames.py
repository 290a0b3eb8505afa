"""libmagic and libcairo load by soname: no compiler runs, other names looked up as before."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import ctypes.util, subprocess
from assay import sonames
original = ctypes.util.find_library
sonames.install()
started = []
real = subprocess.Popen.__init__
def spy(self, args, *a, **k):
    started.append(args[0] if isinstance(args, list) else args)
    real(self, args, *a, **k)
subprocess.Popen.__init__ = spy
import magic, cairocffi
assert magic.from_buffer(b"\\x7fELF\\x02\\x01\\x01").startswith("ELF"), "libmagic works"
assert cairocffi.cairo_version() > 0, "libcairo works"
assert started == [], started  # no ldconfig, gcc or ld
assert ctypes.util.find_library("magic") is None
assert ctypes.util.find_library("c") == original("c")  # other names as before
print("ok")
"""


def test_magic_and_cairo_load_without_compiler_runs() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True)
    assert done.stdout.strip() == "ok", done.stderr
