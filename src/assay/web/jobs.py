"""Uploads are stored by a background worker so the server keeps answering while it scans."""

from __future__ import annotations

import contextvars
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assay.errors import AssayError
from assay.registry import Registry
from assay.registry.intake import assessment_of


@dataclass(frozen=True)
class Job:
    id: str
    manufacturer: str
    file_name: str
    status: str = "queued"  # queued | running | done | failed
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class _Place:
    """One upload's place, held from ``Jobs.slot`` until its job is queued."""

    held = True


_PLACE: contextvars.ContextVar[_Place] = contextvars.ContextVar("assay_upload_place")


class Jobs:
    """A bounded in-memory job table and one worker thread (scans are CPU- and disk-heavy)."""

    def __init__(self, registry: Registry, workers: int = 1, keep: int = 1000) -> None:
        self.registry = registry
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="assay-upload")
        self.keep = keep
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._receiving = 0  # uploads holding a place (``slot``) before their job exists

    def pending(self) -> int:
        """Uploads queued or being processed."""
        with self._lock:
            return self._pending()

    def _pending(self) -> int:
        return sum(1 for j in self._jobs.values() if j.status in ("queued", "running"))

    @contextmanager
    def slot(self, most: int) -> Iterator[None]:
        """Hold one of ``most`` places for an upload being received: counted with the queued
        and running jobs under one lock, so that concurrent uploads cannot overshoot; 503
        when none is free. Submit the job inside the block: ``submit`` hands the place to
        the job in the same locked step, so an upload is never counted twice (as received
        and as queued) while its request finishes."""
        with self._lock:
            if self._pending() + self._receiving >= most:
                from assay.web.errors import ApiError

                raise ApiError(503, f"{most} uploads are already waiting", "try again later")
            self._receiving += 1
        place = _Place()
        reset = _PLACE.set(place)
        try:
            yield
        finally:
            _PLACE.reset(reset)
            with self._lock:
                if place.held:
                    self._receiving -= 1

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def _set(self, job: Job) -> None:
        with self._lock:
            self._keep(job)

    def _keep(self, job: Job) -> None:
        """Record ``job`` (the lock held), forgetting the oldest beyond ``keep``."""
        self._jobs[job.id] = job
        while len(self._jobs) > self.keep:
            self._jobs.pop(next(iter(self._jobs)))

    def submit(
        self,
        upload: Path,
        file_name: str,
        declaration: dict[str, Any] | None,
        declaration_file: Path | None,
        manufacturer: str,
    ) -> Job:
        """Queue one upload (``upload`` is a temporary directory's file; the job removes it)."""
        job = Job(id=uuid.uuid4().hex, manufacturer=manufacturer, file_name=file_name)
        with self._lock:  # one step: the upload's place becomes the queued job's
            place = _PLACE.get(None)
            if place is not None and place.held:
                place.held = False
                self._receiving -= 1
            self._keep(job)
        self.executor.submit(self._run, job, upload, declaration, declaration_file)
        return job

    def _run(
        self,
        job: Job,
        upload: Path,
        declaration: dict[str, Any] | None,
        declaration_file: Path | None,
    ) -> None:
        self._set(replace(job, status="running"))
        try:
            document, scanned = assessment_of(upload, declaration_file)
            if scanned and document.get("target", {}).get("name") == upload.name:
                # a scanned upload: record the name the manufacturer gave (shown escaped)
                document["target"] = {**document["target"], "name": job.file_name[:500]}
            stored = self.registry.add(
                document, declaration, as_manufacturer=job.manufacturer, scanned=scanned
            )
            self._set(replace(job, status="done", result=stored.to_dict()))
        except AssayError as err:
            from assay.web.errors import error_body, status_of

            self._set(
                replace(
                    job,
                    status="failed",
                    error=error_body(status_of(err), err.message, err.hint)["error"],
                )
            )
        except Exception as err:  # a scan crash must not kill the worker
            from assay.web.errors import error_body

            body = error_body(
                500, f"processing failed ({err.__class__.__name__})", "nothing was stored"
            )
            self._set(replace(job, status="failed", error=body["error"]))
        finally:
            shutil.rmtree(upload.parent, ignore_errors=True)

    def shutdown(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def spool_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="assay-upload-"))
