"""Run a corpus scan on Dask: a local cluster by default, or the cluster at ``scheduler``.

One task per image, submitted under a key made of its SHA-256 (so a resubmitted image is the
same task); results are written into the registry as each finishes (by the worker itself when
every worker can reach the database: PostgreSQL, or SQLite on this machine with a local cluster;
else on this side), so a crash of the client loses at most the images still running; a second
run skips every image the ledger already holds. Dask reschedules the task of a worker that
dies; a task that raises is retried once (``retries=1``) and then recorded as failed with the
reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assay.corpus import ledger
from assay.corpus.inputs import Image, fingerprint
from assay.corpus.tasks import one_writer, scan_image
from assay.errors import AssayError, UsageError

Progress = Callable[[int, int, str], None]  # (done, total, last message)


@dataclass
class Summary:
    submitted: int = 0
    skipped: int = 0
    done: int = 0
    failed: int = 0
    seconds: float = 0.0
    store_seconds: float = 0.0  # spent writing results into the registry (either side)
    stored_by_workers: int = 0  # results the workers wrote themselves
    dashboard: str = ""
    failures: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "submitted": self.submitted,
            "skipped": self.skipped,
            "done": self.done,
            "failed": self.failed,
            "seconds": round(self.seconds, 2),
            "dashboard": self.dashboard,
            "failures": [{"path": p, "reason": r} for p, r in self.failures],
        }


def corpus_scan(
    images: list[Path],
    registry_url: str | None,
    *,
    scheduler: str | None = None,
    workers: int = 2,
    options: dict[str, Any] | None = None,
    retry_failed: bool = False,
    progress: Progress | None = None,
) -> Summary:
    """Scan ``images`` on Dask and store each assessment in the registry."""
    try:
        import dask
        from distributed import Client, LocalCluster, as_completed
    except ImportError as err:
        raise UsageError(
            "assay corpus needs Dask distributed", "install it: pip install 'assay[dask]'"
        ) from err
    from assay.registry import Registry

    started = time.perf_counter()
    summary = Summary()
    with Registry.open(registry_url) as registry:
        ledger.ensure_tables(registry.engine)
        seen = ledger.known(registry.engine, retry_failed)
        todo: dict[str, Image] = {}
        for path in images:
            image = fingerprint(path)
            if image.sha256 in seen or image.sha256 in todo:
                summary.skipped += 1  # assessed (or recorded as failed) already, or named twice
            else:
                todo[image.sha256] = image
        if not todo:
            summary.seconds = time.perf_counter() - started
            return summary
        cluster = None
        if scheduler is None:
            # Dask's statistical profiler samples every worker's running task every 10 ms; a
            # scan is one long task whose profile no one reads here (1-3 % of a core per
            # worker). The memory limit is still watched, every second instead of every
            # 100 ms (~1 % of a core per worker). A cluster started by hand keeps its own
            # configuration (docs/corpus.md).
            quieter = {
                "distributed.worker.profile.enabled": False,
                "distributed.worker.memory.monitor-interval": "1s",
            }
            with dask.config.set(quieter):
                cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",
                    silence_logs=40,
                )
            client = Client(cluster)
        else:
            try:
                client = Client(scheduler, timeout="10s")
            except OSError as err:
                raise UsageError(
                    f"cannot reach the Dask scheduler at {scheduler}: {err}",
                    "check the address (tcp://HOST:PORT) and that the scheduler runs",
                ) from err
        # the workers write the registry themselves when they can all reach it: PostgreSQL,
        # or SQLite (WAL) on this machine with a local cluster; else this side writes
        dialect = registry.engine.dialect.name
        on_workers = dialect == "postgresql" or (scheduler is None and dialect == "sqlite")
        worker_url = registry.engine.url.render_as_string(hide_password=False)
        # SQLite written from several processes: one writer at a time (a lock file)
        sqlite_file = registry.engine.url.database if on_workers and dialect == "sqlite" else None
        try:
            summary.dashboard = str(client.dashboard_link or "")
            futures = {
                client.submit(
                    scan_image,
                    str(i.path),
                    i.sha256,
                    options or {},
                    worker_url if on_workers else None,
                    key=f"assay-scan-{i.sha256}",
                    pure=False,
                    retries=1,
                ): i
                for i in todo.values()
            }
            summary.submitted = len(futures)
            for future in as_completed(list(futures)):
                image = futures.pop(future)
                began = time.perf_counter()
                with one_writer(sqlite_file):
                    _store(registry, future, image, summary)
                # forget the result: a worker that dies later must not make Dask compute
                # (scan and store) again the finished images whose results it held
                future.release()
                summary.store_seconds += time.perf_counter() - began
                if progress:
                    progress(summary.done + summary.failed, summary.submitted, image.path.name)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    summary.seconds = time.perf_counter() - started
    return summary


def _store(registry: Any, future: Any, image: Image, summary: Summary) -> None:
    """Write one finished task into the registry and the ledger."""
    try:
        result = future.result()
    except Exception as err:  # a crash twice over (raised in the task, or the worker died)
        first = str(err).splitlines()[0][:300] if str(err) else ""
        reason = f"crashed twice: {type(err).__name__}" + (f": {first}" if first else "")
        result = {"status": "failed", "reason": reason, "seconds": 0.0}
    if result["status"] == "stored":  # the worker wrote it and its ledger row
        summary.done += 1
        summary.stored_by_workers += 1
        summary.store_seconds += result.get("store_seconds", 0.0)
        return
    if result["status"] == "ok":
        try:
            stored = registry.add(result["document"])
        except AssayError as err:
            result = {
                "status": "failed",
                "reason": f"not stored: {err.diagnostics()}",
                "seconds": result["seconds"],
            }
        else:
            ledger.record(
                registry.engine,
                image.sha256,
                str(image.path),
                "done",
                seconds=result["seconds"],
                slug=str(getattr(stored, "slug", "")),
            )
            summary.done += 1
            return
    ledger.record(
        registry.engine,
        image.sha256,
        str(image.path),
        "failed",
        reason=result["reason"],
        seconds=result.get("seconds", 0.0),
    )
    summary.failed += 1
    summary.failures.append((str(image.path), result["reason"]))
