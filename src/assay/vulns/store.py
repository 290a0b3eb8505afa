"""The local vulnerability store: one SQLite file, read by matching, written by imports.

Tables: ``record`` (one row per vulnerability id and source: ``nvd``, ``cve5``, ``osv``),
``cpe_idx`` (vendor, product, version key -> id; ``*`` stands for "a range or any version"),
``purl_idx`` (ecosystem, name -> id), ``kev``, ``epss``, ``revision`` + ``changed`` (what each
import changed) and ``feed`` (what was imported, from where, when).

Imports are all or nothing: the documents are read and compared into a private staging
database first, then one short transaction writes the store (``assay.vulns.importer``); any
unreadable document, a killed process or a full disk leaves the previous store as it was. The
store is in WAL mode, so readers are never blocked by an import; opening a current store
writes nothing. A writer waits up to ``BUSY_SECONDS`` for another; after that, and when
another import committed while this one was reading, the error says "busy, try again".

Within a source, the copy with the newest ``modified`` date wins (an NVD yearly file and a
later "modified" feed can hold the same CVE); an identical copy changes nothing. An import
that changes something adds one revision listing the changed ids; one that changes nothing
adds none.

``open_store(None)`` opens the default store (``$ASSAY_HOME/vulns.sqlite`` or the user data
dir); when that is absent or empty, it opens the bundled snapshot (``assay.vulns.bundled``).
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from assay.config import data_dir
from assay.errors import StoreError
from assay.vulns.versions import in_range

if TYPE_CHECKING:
    from assay.vulns.importer import ImportReport

SCHEMA_VERSION = "3"
BUSY_SECONDS = 30.0
_TABLES = {"meta", "record", "cpe_idx", "purl_idx", "kev", "epss", "revision", "changed", "feed"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS record(
    id TEXT NOT NULL, source TEXT NOT NULL, modified TEXT, digest TEXT,
    config BLOB, affected TEXT, payload TEXT, aliases TEXT,
    PRIMARY KEY(id, source));
CREATE TABLE IF NOT EXISTS cpe_idx(
    vendor TEXT, product TEXT, vkey TEXT, vsi TEXT, vse TEXT, vei TEXT, vee TEXT,
    id TEXT, source TEXT);
CREATE TABLE IF NOT EXISTS purl_idx(ecosystem TEXT, name TEXT, id TEXT, source TEXT);
CREATE TABLE IF NOT EXISTS kev(
    cve TEXT PRIMARY KEY, vendor TEXT, product TEXT, name TEXT, date_added TEXT,
    due_date TEXT, ransomware TEXT, required_action TEXT);
CREATE TABLE IF NOT EXISTS epss(cve TEXT PRIMARY KEY, epss REAL, percentile REAL, score_date TEXT);
CREATE TABLE IF NOT EXISTS revision(rev INTEGER PRIMARY KEY, created TEXT, changed INTEGER);
CREATE TABLE IF NOT EXISTS changed(rev INTEGER, id TEXT, PRIMARY KEY(rev, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS feed(
    n INTEGER PRIMARY KEY, rev INTEGER, path TEXT, format TEXT, timestamp TEXT,
    imported TEXT, records INTEGER, changed INTEGER, skipped INTEGER);
"""
INDEXES = """
CREATE INDEX IF NOT EXISTS cpe_idx_vp ON cpe_idx(vendor, product, vkey);
CREATE INDEX IF NOT EXISTS cpe_idx_id ON cpe_idx(id, source);
CREATE INDEX IF NOT EXISTS purl_idx_en ON purl_idx(ecosystem, name);
CREATE INDEX IF NOT EXISTS purl_idx_id ON purl_idx(id, source);
"""


def unpack_config(blob: bytes | None) -> list[Any] | None:
    """NVD configurations are stored as zlib-compressed JSON (a sixth of the size)."""
    if not blob:
        return None
    value: list[Any] = orjson.loads(zlib.decompress(blob))
    return value


def default_store_path() -> Path:
    """``vulns.sqlite`` in Assay's data directory (``ASSAY_HOME`` moves it)."""
    return data_dir() / "vulns.sqlite"


@dataclass(frozen=True)
class StoredRecord:
    """One source's record of one vulnerability, as stored."""

    id: str
    source: str
    modified: str
    payload: dict[str, Any]
    configurations: list[Any] | None
    affected: list[Any] | None
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class FeedStatus:
    path: str
    format: str
    timestamp: str
    imported: str
    records: int
    changed: int
    skipped: int


@dataclass(frozen=True)
class StoreStatus:
    location: str
    origin: str  # "store" or "bundled snapshot"
    revision: int
    counts: dict[str, int]
    feeds: list[FeedStatus] = field(default_factory=list)


class Store:
    """A vulnerability store (a SQLite connection). Use ``open_store`` to get one."""

    def __init__(self, conn: sqlite3.Connection, location: str, origin: str = "store") -> None:
        self.conn = conn
        self.location = location
        self.origin = origin

    # --- opening ---------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path, create: bool = False) -> Store:
        if not path.exists() and not create:
            raise StoreError(
                f"no vulnerability store at {path}",
                f"import feeds first: assay feeds import FILE... --db {path}",
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                str(path), timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False
            )
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            store = cls(conn, str(path))
            store._init_schema()
        except sqlite3.DatabaseError as exc:
            if is_busy(exc):
                raise busy(str(path)) from exc
            raise StoreError(
                f"{path} is not a usable Assay vulnerability store ({exc})",
                "point --db at another file and import the feeds there",
            ) from exc
        return store

    @classmethod
    def memory(cls, location: str = ":memory:", origin: str = "store") -> Store:
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        store = cls(conn, location, origin)
        store._init_schema()
        return store

    def _init_schema(self) -> None:
        version = None
        has_meta = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"
        ).fetchone()
        tables = self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if has_meta:
            row = self.conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            version = row[0] if row else None
        elif tables:
            raise sqlite3.DatabaseError("it holds other tables")
        if version not in (None, SCHEMA_VERSION):
            raise sqlite3.DatabaseError(f"schema version {version}, expected {SCHEMA_VERSION}")
        names = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master")}
        if version == SCHEMA_VERSION and names >= _TABLES:
            return  # a current store: opening it writes nothing (a reader never waits)
        self.conn.executescript(_SCHEMA + INDEXES)
        self.conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))

    def close(self) -> None:
        """Close the connection (the shared in-memory snapshot stays open for reuse)."""
        from assay.vulns.bundled import is_shared

        if not is_shared(self.conn):
            self.conn.close()

    # --- writing ---------------------------------------------------------------------------
    def import_paths(
        self, paths: Iterable[Path], progress: Callable[[str], None] | None = None
    ) -> ImportReport:
        """Import feed files/folders/archives in one transaction (all or nothing)."""
        # here, not at the top: a scan only reads the store (multiprocessing stays unimported)
        from assay.vulns.importer import Importer, StoreChanged

        try:
            return Importer(self.conn, progress).run(list(paths))
        except StoreChanged:
            why = "another import finished while this one was reading; "
            raise busy(self.location, why) from None
        except sqlite3.Error as exc:
            if is_busy(exc):
                raise busy(self.location) from exc
            raise StoreError(
                f"{self.location}: the import failed and was rolled back ({exc})",
                "check free disk space; the store is as it was before the import",
            ) from exc

    def meta(self, key: str) -> str:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return str(row[0]) if row else ""

    def set_meta(self, key: str, value: str) -> None:
        try:
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
        except sqlite3.OperationalError as exc:
            if is_busy(exc):
                raise busy(self.location) from exc
            raise

    # --- revisions -------------------------------------------------------------------------
    def revision(self) -> int:
        row = self.conn.execute("SELECT max(rev) FROM revision").fetchone()
        return int(row[0] or 0)

    def changed_since(self, revision: int) -> set[str]:
        """Every id changed by the imports after ``revision``."""
        rows = self.conn.execute("SELECT DISTINCT id FROM changed WHERE rev > ?", (revision,))
        return {r[0] for r in rows}

    # --- reading ---------------------------------------------------------------------------
    def is_empty(self) -> bool:
        return self.conn.execute("SELECT 1 FROM record LIMIT 1").fetchone() is None

    def by_cpe(
        self, vendor: str, product: str, vkeys: Iterable[str], version: str = ""
    ) -> set[tuple[str, str]]:
        """(id, source) of records with a vulnerable criterion on vendor:product at one of
        these version keys (``versions.version_key``), or with a range (or any-version)
        criterion containing ``version`` (or, without it, one of the keys). A first cut: the
        full configuration decides."""
        exact = set(vkeys)
        probes = [version] if version else sorted(exact)
        keys = sorted(exact | {"*"})
        marks = ",".join("?" * len(keys))
        rows = self.conn.execute(
            f"SELECT id, source, vkey, vsi, vse, vei, vee FROM cpe_idx "
            f"WHERE vendor=? AND product=? AND vkey IN ({marks})",
            (vendor, product, *keys),
        )
        out: set[tuple[str, str]] = set()
        for rid, source, vkey, *bounds in rows:
            if vkey != "*" or not probes or any(in_range(v, *bounds) for v in probes):
                out.add((rid, source))
        return out

    def by_purl(self, ecosystem: str, name: str) -> set[tuple[str, str]]:
        rows = self.conn.execute(
            "SELECT DISTINCT id, source FROM purl_idx WHERE ecosystem=? AND name=?",
            (ecosystem.lower(), name.lower()),
        )
        return {(r[0], r[1]) for r in rows}

    def records(self, cve_id: str, columns: str = "all") -> dict[str, StoredRecord]:
        """Every source's record of one id, keyed by source."""
        rows = self.conn.execute(
            "SELECT source, modified, payload, config, affected, aliases FROM record WHERE id=?",
            (cve_id,),
        )
        out: dict[str, StoredRecord] = {}
        for source, modified, payload, config, affected, aliases in rows:
            out[source] = StoredRecord(
                id=cve_id,
                source=source,
                modified=modified or "",
                payload=orjson.loads(payload) if payload and columns == "all" else {},
                configurations=unpack_config(config),
                affected=orjson.loads(affected) if affected else None,
                aliases=tuple(orjson.loads(aliases)) if aliases else (),
            )
        return out

    def bulk(
        self, ids: Iterable[str]
    ) -> tuple[
        dict[str, dict[str, StoredRecord]],
        dict[str, dict[str, str]],
        dict[str, tuple[float, float, str]],
    ]:
        """Records, KEV entries and EPSS scores of many ids in a few queries."""
        wanted = sorted(set(ids))
        records: dict[str, dict[str, StoredRecord]] = {}
        epss: dict[str, tuple[float, float, str]] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for rid, source, modified, payload, affected, aliases in self.conn.execute(
                "SELECT id, source, modified, payload, affected, aliases FROM record "
                f"WHERE id IN ({marks})",
                chunk,
            ):
                records.setdefault(rid, {})[source] = StoredRecord(
                    id=rid,
                    source=source,
                    modified=modified or "",
                    payload=orjson.loads(payload) if payload else {},
                    configurations=None,
                    affected=orjson.loads(affected) if affected else None,
                    aliases=tuple(orjson.loads(aliases)) if aliases else (),
                )
            for cve, score, pct, date in self.conn.execute(
                f"SELECT cve, epss, percentile, score_date FROM epss WHERE cve IN ({marks})", chunk
            ):
                epss[cve] = (float(score), float(pct), str(date or ""))
        return records, self.kev_many(wanted), epss

    def configs(self, ids: Iterable[str]) -> dict[str, list[Any]]:
        """NVD configurations of many ids (ids without one are absent)."""
        return self._source_configs(ids, "nvd")

    def override_configs(self, ids: Iterable[str]) -> dict[str, list[Any]]:
        """NVD-format override configurations (for CVEs NVD has not analysed)."""
        return self._source_configs(ids, "override")

    def _source_configs(self, ids: Iterable[str], source: str) -> dict[str, list[Any]]:
        wanted = sorted(set(ids))
        out: dict[str, list[Any]] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for rid, config in self.conn.execute(
                f"SELECT id, config FROM record WHERE source=? AND id IN ({marks})",
                (source, *chunk),
            ):
                if config:
                    out[rid] = unpack_config(config) or []
        return out

    def kev_many(self, cve_ids: Iterable[str]) -> dict[str, dict[str, str]]:
        """The KEV entries of those ids that the catalogue lists (one query per 500 ids)."""
        keys = ("vendor", "product", "name", "date_added", "due_date", "ransomware", "action")
        wanted, out = sorted(set(cve_ids)), {}
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            for cve, *row in self.conn.execute(
                "SELECT cve, vendor, product, name, date_added, due_date, ransomware, "
                f"required_action FROM kev WHERE cve IN ({','.join('?' * len(part))})",
                part,
            ):
                out[str(cve)] = dict(zip(keys, row, strict=True))
        return out

    def publication_texts(self, ids: Iterable[str]) -> dict[str, dict[str, tuple[Any, Any]]]:
        """Per id and source: the record's ``published`` and ``cveMetadata.datePublished`` as
        stored, read by SQLite's JSON functions (no record parsed; one query per 500 ids)."""
        wanted = sorted(set(ids))
        out: dict[str, dict[str, tuple[Any, Any]]] = {}
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            rows = self.conn.execute(
                "SELECT id, source,"
                " CASE WHEN json_valid(payload) THEN json_extract(payload, '$.published') END,"
                " CASE WHEN json_valid(payload)"
                " THEN json_extract(payload, '$.cveMetadata.datePublished') END"
                f" FROM record WHERE id IN ({','.join('?' * len(part))})",
                part,
            )
            for rid, source, published, meta_published in rows:
                out.setdefault(str(rid), {})[str(source)] = (published, meta_published)
        return out

    def count(self, table: str = "record", where: str = "") -> int:
        sql = f"SELECT count(*) FROM {table}" + (f" WHERE {where}" if where else "")
        return int(self.conn.execute(sql).fetchone()[0])

    def status(self) -> StoreStatus:
        counts = {
            "records": self.count(),
            "cve_ids": int(
                self.conn.execute(
                    "SELECT count(DISTINCT id) FROM record WHERE id LIKE 'CVE-%'"
                ).fetchone()[0]
            ),
            "nvd": self.count("record", "source='nvd'"),
            "cve5": self.count("record", "source='cve5'"),
            "osv": self.count("record", "source='osv'"),
            "kev": self.count("kev"),
            "epss": self.count("epss"),
        }
        latest: dict[tuple[str, str], FeedStatus] = {}
        for row in self.conn.execute(
            "SELECT path, format, timestamp, imported, records, changed, skipped "
            "FROM feed ORDER BY n"
        ):
            latest[(row[0], row[1])] = FeedStatus(*row)  # the latest import of each feed
        return StoreStatus(
            self.location, self.origin, self.revision(), counts, list(latest.values())
        )


def is_busy(exc: sqlite3.Error) -> bool:
    """A lock held by another connection (not a broken file)."""
    code = getattr(exc, "sqlite_errorcode", None)
    busy_codes = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return (code is not None and code & 0xFF in busy_codes) or "locked" in str(exc)


def busy(location: str, why: str = "") -> StoreError:
    return StoreError(
        f"{location} is busy: {why}another process is writing the vulnerability store",
        "try again in a moment; the store is intact",
    )


def open_store(path: Path | None = None, create: bool = False) -> Store:
    """The store at ``path``; ``None`` = the default store, or the bundled snapshot when the
    default store is absent or empty."""
    if path is not None:
        return Store.open(path, create=create)
    default = default_store_path()
    if default.exists():
        store = Store.open(default)
        if not store.is_empty() or create:
            return store
        store.close()
    if create:
        return Store.open(default, create=True)
    from assay.vulns.bundled import snapshot_store

    return snapshot_store()
