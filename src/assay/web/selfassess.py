"""Free self-assessment jobs: an image uploaded from the browser, scanned by the real pipeline
(``assay.pipeline.assess``) in a worker thread, its progress and result kept in the registry
database (table ``selfassess_jobs``, migration 0005_selfassess) so that a restarted server
still shows it and resumes what was waiting.

Private by default: the job is reached by an unguessable link (``secrets.token_urlsafe``, 192
bits; only its SHA-256 is stored), which expires (``Settings.selfassess_days``, default 7);
expired jobs are deleted (when the server starts and with each new upload). Publishing to
the registry needs a manufacturer's API token.

Uploads per client are limited by a token bucket per IP address, kept in memory (a restart
refills every bucket; the bound is against a flood, not an accounting).
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update

from assay.errors import AssayError
from assay.registry import Registry
from assay.registry import tables as t

STAGES = ("queued", "extract", "catalog", "vulns", "checks", "norms", "done")
STAGE_WORDS = {
    "queued": "waiting for a worker",
    "extract": "unpacking the image",
    "catalog": "listing the components",
    "vulns": "matching known vulnerabilities",
    "checks": "checking security by default",
    "norms": "judging against the norms",
    "done": "finished",
}


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class SelfJob:
    """What a page shows of one job."""

    file_name: str
    status: str
    stage: str
    created: datetime
    expires: datetime
    document: dict[str, Any] | None
    error: dict[str, Any] | None
    published: str

    @property
    def expired(self) -> bool:
        return _now() >= self.expires

    @property
    def step(self) -> int:
        """How many of the stages are behind it (for the progress bar)."""
        if self.status == "done":
            return len(STAGES) - 1
        return STAGES.index(self.stage) if self.stage in STAGES else 0


class Bucket:
    """Token buckets per client: ``burst`` uploads at once, then one per ``every`` seconds."""

    def __init__(self, burst: int, every: float, clock: Any = time.monotonic) -> None:
        self.burst, self.every, self.clock = burst, every, clock
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 when ``client`` may upload now (a token is taken), else seconds to wait."""
        with self._lock:
            now = float(self.clock())
            tokens, since = self._state.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - since) / self.every)
            if tokens < 1:
                self._state[client] = (tokens, now)
                return (1 - tokens) * self.every
            self._state[client] = (tokens - 1, now)
            if len(self._state) > 100_000:  # forget the oldest clients
                self._state.pop(next(iter(self._state)))
            return 0.0


class SelfJobs:
    """The self-assessment job table and its worker."""

    def __init__(
        self,
        registry: Registry,
        spool: Path | None = None,
        days: float = 7.0,
        store: Path | None = None,
    ) -> None:
        self.registry = registry
        self.spool = spool or Path(tempfile.gettempdir()) / "assay-selfassess"
        self.days = days
        self.store = store
        self.executor: ThreadPoolExecutor | None = None

    def start(self) -> None:
        """Start the worker; delete expired jobs; resume those a stopped server left."""
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="assay-selfassess")
        self.purge()
        with self.registry.sessions() as session:
            waiting = session.scalars(
                select(t.SelfAssessJob).where(t.SelfAssessJob.status.in_(("queued", "running")))
            ).all()
        for row in waiting:
            if row.spool and Path(row.spool).is_file():
                self._set(row.key_sha256, status="queued", stage="queued")
                self.executor.submit(self._run, row.key_sha256, Path(row.spool), row.file_name)
            else:
                self._fail(row.key_sha256, "the upload was lost when the server restarted")

    def stop(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)

    def folder(self) -> Path:
        """A private folder for one upload."""
        self.spool.mkdir(parents=True, exist_ok=True, mode=0o700)
        return Path(tempfile.mkdtemp(prefix="upload-", dir=self.spool))

    def record(self, upload: Path, file_name: str) -> str:
        """Keep a job for ``upload`` (in its own ``folder()``); return its link's token."""
        token = secrets.token_urlsafe(24)
        now = _now()
        with self.registry.sessions.begin() as session:
            session.add(
                t.SelfAssessJob(
                    key_sha256=digest(token),
                    file_name=file_name[:300],
                    status="queued",
                    stage="queued",
                    created=now,
                    updated=now,
                    expires=now + timedelta(days=self.days),
                    spool=str(upload),
                    published="",
                )
            )
        return token

    def submit(self, upload: Path, file_name: str) -> str:
        self.purge()  # expired jobs go as new ones come (and when the server starts)
        token = self.record(upload, file_name)
        if self.executor is None:
            raise RuntimeError("SelfJobs.start() was not called")
        self.executor.submit(self._run, digest(token), upload, file_name)
        return token

    def get(self, token: str) -> SelfJob | None:
        with self.registry.sessions() as session:
            row = session.get(t.SelfAssessJob, digest(token))
            if row is None:
                return None
            return SelfJob(
                row.file_name,
                row.status,
                row.stage,
                _aware(row.created),
                _aware(row.expires),
                row.document,
                row.error,
                row.published,
            )

    def waiting(self) -> int:
        """Jobs queued or running (all clients)."""
        from sqlalchemy import func

        with self.registry.sessions() as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(t.SelfAssessJob)
                    .where(t.SelfAssessJob.status.in_(("queued", "running")))
                )
                or 0
            )

    def published(self, token: str, slug: str) -> None:
        self._set(digest(token), published=slug)

    def purge(self) -> int:
        """Delete the expired jobs (their uploads too); how many."""
        with self.registry.sessions.begin() as session:
            rows = session.execute(
                select(t.SelfAssessJob.key_sha256, t.SelfAssessJob.spool).where(
                    t.SelfAssessJob.expires <= _now()
                )
            ).all()
            for _key, spool in rows:
                if spool:
                    shutil.rmtree(Path(spool).parent, ignore_errors=True)
            session.execute(
                delete(t.SelfAssessJob).where(
                    t.SelfAssessJob.key_sha256.in_([key for key, _spool in rows])
                )
            )
        return len(rows)

    def _set(self, key: str, **values: Any) -> None:
        with self.registry.sessions.begin() as session:
            session.execute(
                update(t.SelfAssessJob)
                .where(t.SelfAssessJob.key_sha256 == key)
                .values(updated=_now(), **values)
            )

    def _fail(self, key: str, message: str, hint: str = "upload the image again") -> None:
        error = {"message": message, "hint": hint}
        self._set(key, status="failed", stage="", error=error, spool="")

    def _run(self, key: str, upload: Path, file_name: str) -> None:
        from assay.pipeline import ScanOptions, assess

        self._set(key, status="running", stage="extract")

        def observer(stage: str, _message: str) -> None:
            if stage in STAGES:
                self._set(key, stage=stage)

        try:
            with tempfile.TemporaryDirectory(prefix="assay-scan-") as work:
                declared = upload.parent / "declaration" / "declaration.json"
                options = ScanOptions(
                    work_dir=Path(work),
                    store=self.store,
                    declaration=declared if declared.is_file() else None,
                )
                document = assess(upload, options, observer).assessment.to_dict()
            document["target"] = {**document.get("target", {}), "name": file_name[:300]}
            self._set(key, status="done", stage="done", document=document, spool="")
        except AssayError as err:
            self._fail(key, err.message, err.hint or "upload another image")
        except Exception as err:  # a scan crash must not kill the worker
            self._fail(key, f"the scan failed ({err.__class__.__name__})")
        finally:
            shutil.rmtree(upload.parent, ignore_errors=True)
