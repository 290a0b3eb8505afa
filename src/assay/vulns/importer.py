"""Writing feed items into the store in one short final transaction (see ``assay.vulns.store``).

An import runs in two phases so that it never blocks readers or holds the write lock while it
parses: first every document is read and the changes are written to a private staging
database attached to the connection (``stage``, a temporary file SQLite deletes itself); then
one ``BEGIN IMMEDIATE`` transaction copies the staged rows into the store and records the
revision. If another import committed in between, the import stops with "busy, try again"
(its comparisons were made against a store that no longer exists); if anything fails, the
staging database is dropped and the store is as it was. The first import into an empty store
skips the staging copy (half the writing) and holds the write lock while it reads: readers
still see the empty store until it commits.

Precedence inside one source: the copy with the newest ``modified`` wins; equal content is
no change. KEV entries change a CVE when they are new or differ. EPSS scores are kept for
every CVE, but a CVE counts as *changed* only when its exploitation band used by the priority
(see ``assay.vulns.priority``) changes — daily EPSS drift would otherwise mark everything.
"""

from __future__ import annotations

import ctypes
import hashlib
import multiprocessing
import os
import signal
import sqlite3
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from assay.vulns.feeds import read_path
from assay.vulns.priority import EPSS_LIKELY
from assay.vulns.records import Advisory, CpeKey, EpssScore, FeedInfo, Item, KevEntry, Skipped

BATCH = 4000
_STAGE = """
CREATE TABLE stage.record(
    id TEXT NOT NULL, source TEXT NOT NULL, modified TEXT, digest TEXT,
    config BLOB, affected TEXT, payload TEXT, aliases TEXT, PRIMARY KEY(id, source));
CREATE TABLE stage.cpe_idx(
    vendor TEXT, product TEXT, vkey TEXT, vsi TEXT, vse TEXT, vei TEXT, vee TEXT,
    id TEXT, source TEXT);
CREATE INDEX stage.stage_cpe_id ON cpe_idx(id, source);
CREATE TABLE stage.purl_idx(ecosystem TEXT, name TEXT, id TEXT, source TEXT);
CREATE INDEX stage.stage_purl_id ON purl_idx(id, source);
CREATE TABLE stage.kev(
    cve TEXT PRIMARY KEY, vendor TEXT, product TEXT, name TEXT, date_added TEXT,
    due_date TEXT, ransomware TEXT, required_action TEXT);
CREATE TABLE stage.epss(cve TEXT PRIMARY KEY, epss REAL, percentile REAL, score_date TEXT);
"""


class StoreChanged(Exception):
    """Another import committed while this one was reading (the store says "busy")."""


PARALLEL_BYTES = 8 * 1024 * 1024  # compressed input above which two workers read in parallel
MAX_SKIPPED_KEPT = 200


@dataclass
class FeedReport:
    path: str
    format: str
    timestamp: str
    records: int = 0
    changed: int = 0
    skipped: int = 0


@dataclass
class ImportReport:
    """What an import did; ``skipped`` lists (id, reason, where) of malformed records."""

    revision: int = 0
    feeds: list[FeedReport] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)
    skipped: list[Skipped] = field(default_factory=list)
    skipped_total: int = 0
    records: int = 0

    def summary(self) -> str:
        return (
            f"{self.records} records read from {len(self.feeds)} feed document(s); "
            f"{len(self.changed)} ids changed; {self.skipped_total} malformed records skipped; "
            f"store revision {self.revision}"
        )


def _dumps(value: object) -> str:
    return orjson.dumps(value).decode()


@dataclass(frozen=True)
class Prepared:
    """An advisory serialised for the ``record`` table (made in a worker process)."""

    id: str
    source: str
    modified: str
    digest: str
    row: tuple[str | bytes | None, ...]
    cpe_keys: frozenset[CpeKey]
    purl_keys: frozenset[tuple[str, str]]
    aliases: tuple[str, ...]


def prepare(adv: Advisory) -> Prepared:
    config = _dumps(adv.configurations) if adv.configurations else ""
    affected = _dumps(adv.affected) if adv.affected else ""
    payload = _dumps(adv.payload)
    aliases = _dumps(list(adv.aliases)) if adv.aliases else ""
    digest = hashlib.blake2b(
        "\x00".join((config, affected, payload, aliases)).encode(), digest_size=16
    ).hexdigest()
    packed = zlib.compress(config.encode(), 1) if config else None
    row = (adv.id, adv.source, adv.modified, digest, packed, affected or None, payload,
           aliases or None)  # fmt: skip
    return Prepared(
        adv.id, adv.source, adv.modified, digest, row, adv.cpe_keys, adv.purl_keys, adv.aliases
    )


def _prepared(adv: Advisory, where: str) -> Prepared | Skipped:
    """``prepare``, or a skipped record when it cannot be stored (orjson writes at most 254
    levels of nesting; a hostile feed may hold more)."""
    try:
        return prepare(adv)
    except (orjson.JSONEncodeError, TypeError, ValueError) as exc:
        return Skipped(adv.id, f"cannot be stored: {exc}", where)


def _read_prepared(path: Path) -> list[tuple[Path, FeedInfo, list[Item | Prepared]]]:
    """Worker: read every document of one path, advisories already serialised."""
    out: list[tuple[Path, FeedInfo, list[Item | Prepared]]] = []
    for doc in read_path(path):
        items: list[Item | Prepared] = [
            _prepared(i, doc.info.name) if isinstance(i, Advisory) else i for i in doc.items
        ]
        out.append((path, doc.info, items))
    return out


def _die_with_parent() -> None:
    """Worker start-up: on Linux, ask the kernel to end this reader if the importer dies
    (a killed import must not leave readers behind)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent is already gone
            os._exit(1)
    except (OSError, AttributeError):
        pass


def _documents(paths: list[Path]) -> Iterator[tuple[Path, FeedInfo, Iterable[Item | Prepared]]]:
    """Documents of all paths in order; big files are read by two worker processes."""
    files = [p for p in paths if p.is_file()]
    big = sum(p.stat().st_size for p in files) > PARALLEL_BYTES and len(files) == len(paths)
    if not big or len(files) < 2 or (os.cpu_count() or 1) < 2:
        for path in paths:
            for doc in read_path(path):
                yield path, doc.info, doc.items
        return
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx, initializer=_die_with_parent) as pool:
        for docs in pool.map(_read_prepared, files):
            yield from docs


class Importer:
    def __init__(self, conn: sqlite3.Connection, progress: Callable[[str], None] | None) -> None:
        self.conn = conn
        self.progress = progress or (lambda _m: None)
        self.known: dict[tuple[str, str], tuple[str, str]] = {}
        self.in_db: set[tuple[str, str]] = set()
        self.staged: set[tuple[str, str]] = set()
        self.replaced: set[tuple[str, str]] = set()
        self.pending: dict[tuple[str, str], Prepared] = {}
        self.target = "stage"  # where rows are written while reading: "main" for a new store
        self.report = ImportReport()
        self.feeds: dict[tuple[str, str], FeedReport] = {}

    def run(self, paths: list[Path]) -> ImportReport:
        self.conn.execute("ATTACH DATABASE '' AS stage")
        try:
            self.conn.executescript("PRAGMA stage.journal_mode=OFF;" + _STAGE)
            generation = self._generation()
            fresh = self._load_known()
            if fresh:  # straight into the empty store, under the write lock from the start
                self._begin_write(generation, drop_indexes=True)
                self.target = "main"
            else:
                self.conn.execute("BEGIN")  # writes only the staging database
            try:
                shown: set[Path] = set()
                for path, info, items in _documents(paths):
                    if path not in shown:  # once per path given, not per archive member
                        shown.add(path)
                        self.progress(f"reading {path}")
                    self._document(path, info, items)
                self._flush()
                if not fresh:
                    self.conn.execute("COMMIT")
                    self._begin_write(generation, drop_indexes=False)
                    self._apply_staged()
                else:
                    self._build_indexes()
                self._finish()
                self.conn.execute("COMMIT")
            finally:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
        finally:
            self.conn.execute("DETACH DATABASE stage")
        return self.report

    def _generation(self) -> tuple[object, ...]:
        """What identifies the store's state: the last revision and the last feed row."""
        return tuple(
            self.conn.execute(
                "SELECT (SELECT max(rev) FROM revision), (SELECT max(n) FROM feed)"
            ).fetchone()
        )

    def _begin_write(self, generation: tuple[object, ...], drop_indexes: bool) -> None:
        """Take the store's write lock; stop if another import committed since we looked."""
        self.conn.execute("BEGIN IMMEDIATE")
        if self._generation() != generation:
            raise StoreChanged
        if drop_indexes:  # building indexes once at the end is much faster than row by row
            for name in ("cpe_idx_vp", "cpe_idx_id", "purl_idx_en", "purl_idx_id"):
                self.conn.execute(f"DROP INDEX IF EXISTS main.{name}")

    def _apply_staged(self) -> None:
        """The staged rows into the store (inside the final transaction)."""
        for table in ("cpe_idx", "purl_idx"):
            delete = f"DELETE FROM main.{table} WHERE id=? AND source=?"
            self.conn.executemany(delete, self.replaced)
        self.conn.execute("INSERT OR REPLACE INTO main.record SELECT * FROM stage.record")
        for table in ("cpe_idx", "purl_idx"):
            self.conn.execute(f"INSERT INTO main.{table} SELECT * FROM stage.{table}")
        for table in ("kev", "epss"):
            self.conn.execute(f"INSERT OR REPLACE INTO main.{table} SELECT * FROM stage.{table}")

    def _build_indexes(self) -> None:
        from assay.vulns.store import INDEXES

        for stmt in INDEXES.strip().split(";"):
            if stmt.strip():
                self.conn.execute(stmt)

    def _load_known(self) -> bool:
        for rid, source, modified, digest in self.conn.execute(
            "SELECT id, source, modified, digest FROM main.record"
        ):
            self.known[(rid, source)] = (modified or "", digest or "")
        self.in_db = set(self.known)
        return not self.known

    def _document(self, path: Path, info: FeedInfo, items: Iterable[Item | Prepared]) -> None:
        records = changed = skipped = 0
        newest = ""
        for item in items:
            records += 1
            if isinstance(item, Advisory):
                item = _prepared(item, info.name)
            if isinstance(item, Prepared):
                prep = item
                changed += self._advisory(prep)
                newest = max(newest, prep.modified)
            elif isinstance(item, KevEntry):
                changed += self._kev(item)
                newest = max(newest, item.date_added)
            elif isinstance(item, EpssScore):
                changed += self._epss(item)
            elif isinstance(item, Skipped):
                records -= 1
                skipped += 1
                self.report.skipped_total += 1
                if len(self.report.skipped) < MAX_SKIPPED_KEPT:
                    self.report.skipped.append(item)
            if len(self.pending) >= BATCH:
                self._flush()
        key = (str(path), info.format)
        feed = self.feeds.get(key)
        if feed is None:
            feed = self.feeds[key] = FeedReport(str(path), info.format, "")
            self.report.feeds.append(feed)
        feed.timestamp = max(feed.timestamp, info.timestamp or newest)
        feed.records += records
        feed.changed += changed
        feed.skipped += skipped
        self.report.records += records

    def _advisory(self, prep: Prepared) -> int:
        key = (prep.id, prep.source)
        old = self.known.get(key)
        if old is not None and (old[1] == prep.digest or old[0] > prep.modified):
            return 0  # the same, or we already hold a newer copy
        self.known[key] = (prep.modified, prep.digest)
        self.pending[key] = prep
        self.report.changed.add(prep.id)
        self.report.changed.update(a for a in prep.aliases if a.startswith("CVE-"))
        return 1

    def _flush(self) -> None:
        """Pending advisories into the staging tables (or into a new store)."""
        if not self.pending:
            return
        to = self.target
        restaged = [k for k in self.pending if k in self.staged]
        if restaged:
            self.conn.executemany(f"DELETE FROM {to}.cpe_idx WHERE id=? AND source=?", restaged)
            self.conn.executemany(f"DELETE FROM {to}.purl_idx WHERE id=? AND source=?", restaged)
        self.replaced.update(k for k in self.pending if k in self.in_db)
        rows: list[tuple[str | bytes | None, ...]] = []
        cpes: list[tuple[str, ...]] = []
        purls: list[tuple[str, str, str, str]] = []
        for prep in self.pending.values():
            rows.append(prep.row)
            cpes.extend((*key, prep.id, prep.source) for key in prep.cpe_keys)
            purls.extend((e, n, prep.id, prep.source) for e, n in prep.purl_keys)
        self.conn.executemany(f"INSERT OR REPLACE INTO {to}.record VALUES (?,?,?,?,?,?,?,?)", rows)
        self.conn.executemany(f"INSERT INTO {to}.cpe_idx VALUES (?,?,?,?,?,?,?,?,?)", cpes)
        self.conn.executemany(f"INSERT INTO {to}.purl_idx VALUES (?,?,?,?)", purls)
        self.staged.update(self.pending)
        self.pending.clear()

    def _kev(self, entry: KevEntry) -> int:
        row = (
            entry.vendor,
            entry.product,
            entry.name,
            entry.date_added,
            entry.due_date,
            entry.ransomware,
            entry.required_action,
        )
        old = self._current(
            "kev",
            "vendor, product, name, date_added, due_date, ransomware, required_action",
            entry.cve,
        )
        if old is not None and tuple(old) == row:
            return 0
        self.conn.execute(
            f"INSERT OR REPLACE INTO {self.target}.kev VALUES (?,?,?,?,?,?,?,?)", (entry.cve, *row)
        )
        self.report.changed.add(entry.cve)
        return 1

    def _epss(self, score: EpssScore) -> int:
        old = self._current("epss", "epss", score.cve)
        self.conn.execute(
            f"INSERT OR REPLACE INTO {self.target}.epss VALUES (?,?,?,?)",
            (score.cve, score.epss, score.percentile, score.score_date),
        )
        was_likely = old is not None and old[0] >= EPSS_LIKELY
        if was_likely != (score.epss >= EPSS_LIKELY):
            self.report.changed.add(score.cve)
            return 1
        return 0

    def _current(self, table: str, columns: str, cve: str) -> tuple[Any, ...] | None:
        """A KEV or EPSS row as this import leaves it: staged by it, else in the store."""
        for schema in ("stage", "main"):
            row = self.conn.execute(
                f"SELECT {columns} FROM {schema}.{table} WHERE cve=?", (cve,)
            ).fetchone()
            if row is not None:
                return tuple(row)
        return None

    def _finish(self) -> None:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        row = self.conn.execute("SELECT max(rev) FROM revision").fetchone()
        rev = int(row[0] or 0)
        if self.report.changed:
            rev += 1
            self.conn.execute(
                "INSERT INTO revision VALUES (?,?,?)", (rev, now, len(self.report.changed))
            )
            self.conn.executemany(
                "INSERT INTO changed VALUES (?,?)", ((rev, i) for i in sorted(self.report.changed))
            )
        self.report.revision = rev
        self.conn.executemany(
            "INSERT INTO feed(rev, path, format, timestamp, imported, records, changed, skipped) "
            "VALUES (?,?,?,?,?,?,?,?)",
            [
                (rev, f.path, f.format, f.timestamp, now, f.records, f.changed, f.skipped)
                for f in self.report.feeds
            ],
        )
