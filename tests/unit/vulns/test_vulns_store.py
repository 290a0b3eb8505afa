"""The store: full-corpus import counts, idempotent re-import, all-or-nothing imports,
revisions, precedence between copies of one CVE, default location and snapshot fallback."""

from __future__ import annotations

import json
import lzma
import re
import sqlite3
from pathlib import Path

import pytest

from assay.errors import FeedError, StoreError
from assay.vulns.importer import ImportReport
from assay.vulns.store import Store, default_store_path, open_store

_ID = re.compile(rb'"cve"\s*:\s*\{\s*"id"\s*:\s*"(CVE-\d+-\d+)"')


def _ids(path: Path) -> list[bytes]:
    return _ID.findall(lzma.decompress(path.read_bytes()))


def _fingerprint(store: Store) -> tuple[object, ...]:
    conn = store.conn
    return (
        store.revision(),
        conn.execute("SELECT count(*), group_concat(digest) FROM record").fetchone(),
        conn.execute("SELECT count(*) FROM cpe_idx").fetchone(),
        conn.execute("SELECT count(*) FROM kev").fetchone(),
        conn.execute("SELECT count(*) FROM feed").fetchone(),
    )


@pytest.mark.slow
def test_full_corpus_one_record_per_cve(
    full_store: tuple[Store, ImportReport], nvd_corpus: list[Path]
) -> None:
    store, report = full_store
    per_file = [_ids(p) for p in nvd_corpus]
    yearly = sum(len(ids) for ids in per_file[:15])
    distinct = set().union(*map(set, per_file))
    assert yearly == 80_844  # SOURCES.md: all records published 2002-2016
    assert sum(len(ids) for ids in per_file) == report.records == 88_116
    assert store.count("record") == store.count("record", "source='nvd'") == len(distinct)
    assert len(distinct) == 87_544
    assert report.skipped_total == 0
    assert store.revision() == 1 and store.changed_since(0) == {i.decode() for i in distinct}


@pytest.mark.slow
def test_newest_copy_wins(full_store: tuple[Store, ImportReport], vulns_data: Path) -> None:
    store, _ = full_store
    modified = json.loads(
        lzma.decompress(
            (vulns_data / "nvd/modified/nvdcve-modified-2024-10-25.json.xz").read_bytes()
        )
    )
    old = [v["cve"] for v in modified["vulnerabilities"] if v["cve"]["id"].startswith("CVE-2016-")]
    assert old, "the modified feed re-publishes some 2016 CVEs"
    for cve in old[:20]:
        stored = store.records(cve["id"])["nvd"]
        assert stored.modified >= cve["lastModified"]


@pytest.mark.slow
def test_reimport_changes_nothing(
    full_store: tuple[Store, ImportReport], nvd_corpus: list[Path]
) -> None:
    store, _ = full_store
    before = _fingerprint(store)
    revision = store.revision()
    report = store.import_paths(nvd_corpus)
    assert report.changed == set()
    assert store.revision() == revision
    assert store.changed_since(revision) == set()
    assert _fingerprint(store)[:4] == before[:4]


def test_corrupt_file_mid_import_leaves_store_as_it_was(vulns_data: Path, tmp_path: Path) -> None:
    store = Store.open(tmp_path / "vulns.sqlite", create=True)
    store.import_paths([vulns_data / "cve5" / "sample"])
    before = _fingerprint(store)
    source = vulns_data / "nvd" / "yearly" / "nvdcve-2004.json.xz"
    broken = tmp_path / "nvdcve-2004.json.xz"
    broken.write_bytes(source.read_bytes()[:-4096])  # cut short, like an interrupted download
    paths = [
        vulns_data / "nvd" / "iot-subset" / "nvd_iot_sample.json",  # good, read first
        broken,
        vulns_data / "kev" / "known_exploited_vulnerabilities.json",  # good, never reached
    ]
    with pytest.raises(FeedError, match="nvdcve-2004"):
        store.import_paths(paths)
    assert _fingerprint(store) == before
    assert store.count("record", "source='nvd'") == 0 and store.count("kev") == 0
    # a second process sees the same: nothing was committed
    other = sqlite3.connect(tmp_path / "vulns.sqlite")
    assert other.execute("SELECT count(*) FROM record WHERE source='nvd'").fetchone()[0] == 0


def test_revisions_list_changed_ids(vulns_data: Path, tmp_path: Path) -> None:
    store = Store.open(tmp_path / "vulns.sqlite", create=True)
    assert store.revision() == 0
    first = store.import_paths([vulns_data / "nvd" / "iot-subset" / "nvd_iot_sample.json"])
    assert store.revision() == 1 and len(first.changed) == 348
    kev = store.import_paths([vulns_data / "kev" / "known_exploited_vulnerabilities.csv"])
    assert store.revision() == 2
    assert store.changed_since(1) == kev.changed and len(kev.changed) == 1404
    assert store.changed_since(0) == first.changed | kev.changed
    again = store.import_paths([vulns_data / "kev" / "known_exploited_vulnerabilities.json"])
    assert again.changed == set() and store.revision() == 2  # same catalog, other format


def test_default_location_and_snapshot_fallback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, vulns_data: Path
) -> None:
    monkeypatch.setenv("ASSAY_HOME", str(tmp_path / "home"))
    assert default_store_path() == tmp_path / "home" / "vulns.sqlite"
    fallback = open_store(None)
    assert fallback.origin == "bundled snapshot"
    assert fallback.count("record") > 4000 and fallback.count("kev") > 0
    # built once into the data directory, then opened read-only
    (cached,) = (tmp_path / "home" / "cache").glob("snapshot-*.sqlite")
    fallback.close()
    again = open_store(None)
    assert again.count("record") == fallback_count(cached)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        again.conn.execute("DELETE FROM record")
    created = open_store(None, create=True)
    assert created.location == str(tmp_path / "home" / "vulns.sqlite")
    assert open_store(None).origin == "bundled snapshot"  # still empty: snapshot again
    created.import_paths([vulns_data / "nvd" / "iot-subset" / "nvd_iot_sample.json"])
    used = open_store(None)
    assert used.origin == "store" and used.count("record") == 348


def fallback_count(path: Path) -> int:
    return int(sqlite3.connect(path).execute("SELECT count(*) FROM record").fetchone()[0])


def test_unusable_stores_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no vulnerability store"):
        open_store(tmp_path / "absent.sqlite")
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="not a usable"):
        open_store(junk)
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t(x)")
    with pytest.raises(StoreError, match="other tables"):
        open_store(other)


def test_epss_changes_only_when_the_exploitation_band_moves(
    vulns_data: Path, tmp_path: Path
) -> None:
    from assay.vulns.feeds import read_path
    from assay.vulns.priority import EPSS_LIKELY
    from assay.vulns.records import EpssScore

    path = vulns_data / "epss" / "emba-epss-per-year" / "CVE_2014_EPSS.csv.xz"
    scores = [i for d in read_path(path) for i in d.items if isinstance(i, EpssScore)]
    likely = {s.cve for s in scores if s.epss >= EPSS_LIKELY}
    store = Store.open(tmp_path / "v.sqlite", create=True)
    report = store.import_paths([path])
    assert store.count("epss") == len({s.cve for s in scores})
    assert report.changed == likely and 0 < len(likely) < len(scores)
    assert store.import_paths([path]).changed == set()


@pytest.mark.slow
def test_killed_import_leaves_store_as_it_was(
    vulns_data: Path, nvd_corpus: list[Path], tmp_path: Path
) -> None:
    import signal
    import subprocess
    import sys
    import time

    path = tmp_path / "vulns.sqlite"
    store = Store.open(path, create=True)
    store.import_paths([vulns_data / "nvd" / "iot-subset" / "nvd_iot_sample.json"])
    before = _fingerprint(store)
    store.close()
    code = (
        "import sys; from pathlib import Path; from assay.vulns.store import Store; "
        "s = Store.open(Path(sys.argv[1])); s.import_paths([Path(p) for p in sys.argv[2:]], "
        "lambda m: print(m, flush=True))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(path), *map(str, nvd_corpus)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    seen = [proc.stdout.readline() for _ in range(3)]  # three files into the transaction
    assert all(line.startswith("reading") for line in seen)
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    after = Store.open(path)
    assert _fingerprint(after) == before
    assert after.count("record") == 348
    time.sleep(0.5)  # the readers die with the importer (no orphans left reading)
    orphans = [
        proc_dir.name
        for proc_dir in Path("/proc").iterdir()
        if proc_dir.name.isdigit() and str(path).encode() in _cmdline(proc_dir)
    ]
    assert orphans == []


def _cmdline(proc_dir: Path) -> bytes:
    try:
        return (proc_dir / "cmdline").read_bytes()
    except OSError:
        return b""


# --- concurrency (issue 10): readers never wait, writers say "busy, try again" -------------

_HOLD_LOCK = (
    "import sqlite3, sys, time\n"
    "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
    "c.execute('BEGIN IMMEDIATE')\n"
    "c.execute(\"INSERT OR REPLACE INTO meta VALUES ('held', 'by another process')\")\n"
    "print('locked', flush=True)\n"
    "time.sleep(120)\n"
)


def _sample_store(vulns_data: Path, path: Path) -> Store:
    store = Store.open(path, create=True)
    store.import_paths([vulns_data / "nvd" / "iot-subset" / "nvd_iot_sample.json"])
    return store


def test_a_held_write_lock_blocks_no_reader_and_writers_say_busy(
    vulns_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess
    import sys
    import time

    from assay.vulns import store as store_module

    path = tmp_path / "vulns.sqlite"
    _sample_store(vulns_data, path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        monkeypatch.setattr(store_module, "BUSY_SECONDS", 0.5)
        started = time.monotonic()
        reader = Store.open(path)  # opening a current store writes nothing
        assert reader.count("record") == 348 and reader.status().revision == 1
        assert time.monotonic() - started < 0.5
        with pytest.raises(StoreError) as busy:
            reader.import_paths([vulns_data / "kev" / "known_exploited_vulnerabilities.json"])
        assert "busy" in busy.value.message and "try again" in busy.value.hint
        assert "delete" not in busy.value.diagnostics()
        assert reader.count("kev") == 0 and reader.revision() == 1
        code = (
            "import sys\nfrom assay.vulns import store\nstore.BUSY_SECONDS = 0.5\n"
            "from assay.cli import main\nsys.exit(main())"
        )
        kev = vulns_data / "kev" / "known_exploited_vulnerabilities.csv"
        cli = subprocess.run(
            [sys.executable, "-c", code, "feeds", "import", str(kev), "--db", str(path)],
            capture_output=True,
            text=True,
        )
        assert cli.returncode == 6, cli.stderr
        assert "busy" in cli.stderr and "delete" not in cli.stderr
        assert "Traceback" not in cli.stderr
    finally:
        holder.kill()
        holder.wait()
    assert Store.open(path).import_paths([kev]).records > 1000  # free again: it works


def test_an_import_that_lost_the_race_says_busy_and_changes_nothing(
    vulns_data: Path, tmp_path: Path
) -> None:
    path = tmp_path / "vulns.sqlite"
    first = _sample_store(vulns_data, path)
    second = Store.open(path)
    kev = vulns_data / "kev" / "known_exploited_vulnerabilities.json"
    epss = vulns_data / "epss" / "emba-epss-per-year" / "CVE_2014_EPSS.csv.xz"

    def meanwhile(_message: str) -> None:  # while the first reads, the second commits
        second.import_paths([kev])

    with pytest.raises(StoreError, match="busy: another import finished"):
        first.import_paths([epss], meanwhile)
    assert first.count("epss") == 0 and first.count("kev") > 1000 and first.revision() == 2
    assert first.import_paths([epss]).revision == 3  # run again: it works


@pytest.mark.slow
def test_readers_in_another_process_are_never_blocked_by_an_import(
    vulns_data: Path, nvd_corpus: list[Path], tmp_path: Path
) -> None:
    """A real writer process imports NVD years while this process opens the store and
    queries it again and again: every read answers at once and sees a whole revision."""
    import subprocess
    import sys
    import time

    path = tmp_path / "vulns.sqlite"
    _sample_store(vulns_data, path).close()
    code = (
        "import sys; from pathlib import Path; from assay.vulns.store import Store; "
        "s = Store.open(Path(sys.argv[1])); s.import_paths([Path(p) for p in sys.argv[2:]], "
        "lambda m: print(m, flush=True)); print('done', flush=True)"
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", code, str(path), *map(str, nvd_corpus[:6])],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None and writer.stdout.readline().startswith("reading")
    slowest, reads, seen = 0.0, 0, set()
    while writer.poll() is None:
        started = time.monotonic()
        reader = Store.open(path)
        revision, records = reader.revision(), reader.count("record")
        hits = reader.by_cpe("openssl", "openssl", ["1.0.1"], "1.0.1")
        reader.close()
        slowest = max(slowest, time.monotonic() - started)
        reads += 1
        seen.add((revision, records > 348, bool(hits)))
        time.sleep(0.05)
    assert writer.returncode == 0
    assert reads > 20 and slowest < 2.0, (reads, slowest)
    assert (1, False, True) in seen  # the old store, whole, while the import ran
    final = Store.open(path)
    assert final.revision() == 2 and final.count("record") > 348
    assert seen <= {(1, False, True), (2, True, True)}  # never a half-written revision
