"""The bundled snapshot as a store: used when no feeds have been loaded.

The snapshot (``data/snapshot.json.xz``, see ``data/SOURCES.md``) is imported once into
``<data dir>/cache/snapshot-<schema>-<digest>.sqlite`` (built under a temporary name, then
renamed, so concurrent first runs are safe) and opened read-only afterwards. When the data
directory cannot be written, it is imported into memory once per process.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
from pathlib import Path

from assay.config import data_dir
from assay.errors import StoreError
from assay.vulns.store import SCHEMA_VERSION, Store

SNAPSHOT = Path(__file__).with_name("data") / "snapshot.json.xz"

_SNAPSHOT_CACHE: dict[str, sqlite3.Connection] = {}


def _digest() -> str:
    """The snapshot's bytes and the code that reads it: a cache built by other code is not
    reused."""
    h = hashlib.sha256(SNAPSHOT.read_bytes())
    here = Path(__file__).parent
    for source in sorted([*here.joinpath("feeds").glob("*.py"), here / "importer.py"]):
        h.update(source.read_bytes())
    return h.hexdigest()[:16]


def _snapshot_file() -> Path | None:
    """The snapshot built once into ``<data dir>/cache/snapshot-<digest>.sqlite`` (an atomic
    rename publishes it), or ``None`` when the data directory is not writable."""
    digest = _digest()
    try:
        folder = data_dir() / "cache"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"snapshot-{SCHEMA_VERSION}-{digest}.sqlite"
        if target.exists():
            return target
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".building")
        os.close(fd)
        os.unlink(tmp)
        built = Store.open(Path(tmp), create=True)
        built.import_paths([SNAPSHOT])
        built.conn.execute("PRAGMA journal_mode=DELETE")
        built.close()
        os.replace(tmp, target)
        return target
    except (OSError, StoreError, sqlite3.Error):
        return None


def snapshot_store(persist: bool = True) -> Store:
    """The bundled snapshot as a read-only store: built once into Assay's data directory,
    or imported into memory (once per process) when that cannot be written or ``persist``
    is false."""
    if not SNAPSHOT.exists():
        raise StoreError(
            "the bundled vulnerability snapshot is missing from this installation",
            "reinstall Assay, or import feeds: assay feeds import FILE...",
        )
    location = f"bundled snapshot ({SNAPSHOT.name})"
    built = _snapshot_file() if persist else None
    if built is not None:
        conn = sqlite3.connect(f"file:{built}?mode=ro", uri=True, check_same_thread=False)
        return Store(conn, location, "bundled snapshot")
    key = str(SNAPSHOT)
    if key not in _SNAPSHOT_CACHE:
        store = Store.memory(location, "bundled snapshot")
        store.import_paths([SNAPSHOT])
        _SNAPSHOT_CACHE[key] = store.conn
    return Store(_SNAPSHOT_CACHE[key], location, "bundled snapshot")


def is_shared(conn: sqlite3.Connection) -> bool:
    """Whether ``conn`` is the process-wide in-memory snapshot (never closed)."""
    return any(conn is c for c in _SNAPSHOT_CACHE.values())
