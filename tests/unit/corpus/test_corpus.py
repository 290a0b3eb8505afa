"""``assay corpus`` on a real Dask cluster: a LocalCluster of two worker processes, and a
scheduler and workers started as separate processes with Dask's own commands, one of which is
killed mid-run. The corpus: variants of the bundled image repacked with mksquashfs
(benchmarks/corpus_variants.py), a file that is no firmware, and a duplicate."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "benchmarks"))

from corpus_variants import make_variants  # noqa: E402

pytestmark = pytest.mark.slow
DASK = Path(sys.executable).with_name("dask")


def assay(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assay", *args], capture_output=True, text=True, timeout=900, **kw
    )  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    make_variants(folder, 4)
    (folder / "not-firmware.bin").write_bytes(os.urandom(4096))
    return folder


def ledger(db: Path) -> dict[str, tuple[str, str, int]]:
    with sqlite3.connect(db) as con:
        return {
            r[0]: (r[1], r[2], r[3])
            for r in con.execute("select path, status, reason, attempts from corpus_images")
        }


def test_local_cluster_scan_resume_and_report(corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "registry.sqlite"
    shutil.copy(corpus / "wr703n-variant-0000.squashfs", tmp_path / "duplicate.squashfs")
    done = assay(
        "corpus",
        "scan",
        str(corpus),
        str(tmp_path / "duplicate.squashfs"),
        "--registry",
        f"sqlite:///{db}",
        "--workers",
        "2",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["done"], summary["failed"], summary["skipped"]) == (4, 1, 1)
    assert "no known format" in summary["failures"][0]["reason"]
    rows = ledger(db)
    assert sorted(s for s, _, _ in rows.values()) == ["done"] * 4 + ["failed"]
    # resumed: nothing is scanned again, and the ledger is unchanged
    again = assay("corpus", "scan", str(corpus), "--registry", f"sqlite:///{db}", "--json")
    assert json.loads(again.stdout) | {"seconds": 0, "dashboard": ""} == {
        "submitted": 0,
        "skipped": 5,
        "done": 0,
        "failed": 0,
        "seconds": 0,
        "dashboard": "",
        "failures": [],
    }
    assert ledger(db) == rows
    # the Parquet export: one row per (firmware, component), read back with pyarrow
    import pyarrow.parquet as pq

    report = assay(
        "corpus",
        "report",
        "--registry",
        f"sqlite:///{db}",
        "-o",
        f"parquet={tmp_path / 'c.parquet'}",
        "-o",
        f"json={tmp_path / 'q.json'}",
        "-o",
        f"html={tmp_path / 'c.html'}",
    )
    assert report.returncode == 0, report.stderr
    table = pq.read_table(tmp_path / "c.parquet").to_pylist()
    keys = [(r["firmware_sha256"], r["component"], r["version"], r["purl"]) for r in table]
    assert len(keys) == len(set(keys))
    assert len({r["firmware_sha256"] for r in table}) == 4
    with sqlite3.connect(db) as con:
        assert len(table) == con.execute("select count(*) from components").fetchone()[0]
    versions = {r["version"] for r in table if r["component"] == "dnsmasq"}
    assert len(versions) > 1  # the variants really differ
    questions = json.loads((tmp_path / "q.json").read_text())
    assert questions["firmware"] == 4
    assert questions["known_exploited"], "the bundled kernel carries known exploited CVEs"
    assert "<svg" in (tmp_path / "c.html").read_text()


def test_separate_scheduler_and_workers_survive_a_killed_worker(
    corpus: Path, tmp_path: Path
) -> None:
    db = tmp_path / "registry.sqlite"
    sched_file = tmp_path / "scheduler.json"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    scheduler = subprocess.Popen(
        [
            str(DASK),
            "scheduler",
            "--scheduler-file",
            str(sched_file),
            "--port",
            "0",
            "--dashboard-address",
            ":0",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    workers = []
    try:
        for _ in range(50):
            if sched_file.exists() and sched_file.stat().st_size:
                break
            time.sleep(0.2)
        address = json.loads(sched_file.read_text())["address"]
        worker = [str(DASK), "worker", "--scheduler-file", str(sched_file), "--nthreads", "1"]
        workers.extend(
            subprocess.Popen(
                [*worker, "--nworkers", "1", "--no-nanny"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
            for _ in range(2)
        )
        run = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "assay",
                "corpus",
                "scan",
                str(corpus),
                "--registry",
                f"sqlite:///{db}",
                "--scheduler",
                address,
                "--json",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.time() + 600
        while time.time() < deadline and run.poll() is None:
            if db.exists():
                try:
                    if any(s == "done" for s, _, _ in ledger(db).values()):
                        break
                except sqlite3.Error:
                    pass
            time.sleep(0.5)
        os.killpg(workers[0].pid, signal.SIGKILL)  # a worker dies mid-run
        out, err = run.communicate(timeout=900)
        assert run.returncode == 0, err
        summary = json.loads(out)
        assert (summary["done"], summary["failed"]) == (4, 1)  # nothing lost
        assert sorted(s for s, _, _ in ledger(db).values()) == ["done"] * 4 + ["failed"]
    finally:
        for p in (*workers, scheduler):
            if p.poll() is None:
                p.kill()
                p.wait(timeout=30)


def test_an_interrupted_scan_resumes_without_rescanning(corpus: Path, tmp_path: Path) -> None:
    """The client (and its local cluster) killed after the first image is stored: the next run
    scans only what was not stored, and every image ends assessed or recorded once."""
    db = tmp_path / "registry.sqlite"
    command = [sys.executable, "-m", "assay", "corpus", "scan", str(corpus)]
    command += ["--registry", f"sqlite:///{db}", "--workers", "1", "--json"]
    first = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 600
        while time.time() < deadline and first.poll() is None:
            try:
                if db.exists() and any(s == "done" for s, _, _ in ledger(db).values()):
                    break
            except sqlite3.Error:
                pass
            time.sleep(0.2)
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # the client, its cluster and the fork servers
        first.wait(timeout=60)
    before = ledger(db)
    stored = [path for path, (status, _, _) in before.items() if status == "done"]
    assert 1 <= len(stored) < 4, before  # interrupted mid-run
    again = assay(*command[3:])
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["skipped"] == len(before)  # what was stored or recorded is not scanned again
    assert summary["submitted"] == 5 - len(before)
    after = ledger(db)
    assert sorted(s for s, _, _ in after.values()) == ["done"] * 4 + ["failed"]
    assert all(after[path] == before[path] for path in stored)  # still one attempt each
    with sqlite3.connect(db) as con:
        assert con.execute("select count(*) from assessments").fetchone()[0] == 4


def test_unreachable_scheduler_is_one_line(corpus: Path, tmp_path: Path) -> None:
    done = assay(
        "corpus",
        "scan",
        str(corpus),
        "--registry",
        f"sqlite:///{tmp_path / 'r.db'}",
        "--scheduler",
        "tcp://127.0.0.1:9",
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "cannot reach the Dask scheduler" in done.stderr
