"""The signatures' hyperscan database, compiled once per machine instead of once per scan.

Compiling the bundled signatures costs hyperscan about 0.15 s of CPU, which every
``assay scan`` process paid again. The compiled database is kept, serialized by hyperscan
itself, in ``<data dir>/cache/signatures-<key>.hsdb`` (written under a temporary name and
then renamed, as the bundled vulnerability snapshot is), where the key covers the patterns,
their flags, hyperscan's version, the machine's architecture and its CPU features. A file
hyperscan will not load or run (another CPU, another version, damage) is compiled again and
replaced; a data directory that cannot be written just means compiling every time.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

from assay.config import data_dir


def cached_database(
    hs: Any, expressions: Sequence[bytes], flags: Sequence[int], compile_: Callable[[], Any]
) -> Any:
    """The block-mode database for ``expressions``: from the cache, or ``compile_()``."""
    key = _key(hs, expressions, flags)
    try:
        path = data_dir() / "cache" / f"signatures-{key}.hsdb"
        db = hs.loadb(path.read_bytes(), hs.HS_MODE_BLOCK)
        db.scratch = hs.Scratch(db)  # a loaded database comes without scratch space
        db.scan(b"\x7fELF probe", match_event_handler=lambda *_: None)  # it runs here
        return db
    except (OSError, hs.error, TypeError, ValueError):
        pass
    db = compile_()
    try:
        folder = data_dir() / "cache"
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".building")
        with os.fdopen(fd, "wb") as fh:
            fh.write(hs.dumpb(db))
        os.replace(tmp, folder / f"signatures-{key}.hsdb")
    except (OSError, hs.error):
        pass
    return db


def _key(hs: Any, expressions: Sequence[bytes], flags: Sequence[int]) -> str:
    digest = hashlib.sha256()
    version = getattr(hs, "__version__", "") or str(getattr(hs, "HS_VERSION", ""))
    digest.update(json.dumps([version, platform.machine(), _cpu_flags(), list(flags)]).encode())
    for expression in expressions:
        digest.update(len(expression).to_bytes(8, "little") + expression)
    return digest.hexdigest()[:24]


def _cpu_flags() -> str:
    """The CPU's feature flags (hyperscan compiles for the instructions it finds)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith(("flags", "Features")):
                    return line.split(":", 1)[-1].strip()
    except OSError:
        pass
    return ""
