"""The re-audit poller of ``assay serve``: after each feed update, re-audit and deliver events.

A daemon thread wakes every ``interval`` seconds, reads the vulnerability store's revision and
the newest stored assessment and, when either differs from its last successful run (or on its
first run), calls
``assay.accountability.reaudit.reaudit`` and then ``outbox.deliver``. It runs beside the
request handlers and shares nothing with them but the database; a failure is logged and the
next wake-up tries again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assay.registry import Registry

log = logging.getLogger("assay.web.reaudit")


@dataclass(frozen=True)
class StepResult:
    """What one wake-up did: ``ran`` is False when the revision had not changed."""

    ran: bool
    revision: int | None
    report: dict[str, Any] | None = None
    error: str = ""


def _open_store(path: Path | None) -> Any:
    from assay.vulns.store import open_store

    return open_store(path)


class ReauditPoller:
    """Poll the store's revision; re-audit the registry when it changes."""

    def __init__(
        self,
        registry: Registry,
        store_path: Path | None,
        interval: float,
        *,
        open_store: Callable[[Path | None], Any] = _open_store,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC).replace(microsecond=0),
    ) -> None:
        self.registry = registry
        self.store_path = store_path
        self.interval = interval
        self._open_store = open_store
        self._clock = clock
        self.last_revision: int | None = None
        self.last_assessment: int | None = None
        self.last: StepResult | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one step at a time (thread and feed endpoint)

    def step(self, force: bool = False) -> StepResult:
        """One wake-up: re-audit when the store's revision changed since the last success, or
        a firmware was registered (or re-assessed) since.
        Never raises; the error is logged and returned."""
        with self._lock:
            try:
                result = self._step(force)
            except Exception as err:  # keep polling whatever went wrong
                log.exception("re-audit failed; retrying at the next wake-up")
                result = StepResult(False, self.last_revision, None, f"{type(err).__name__}: {err}")
            self.last = result
            return result

    def _step(self, force: bool) -> StepResult:
        from assay.accountability.outbox import deliver
        from assay.accountability.reaudit import reaudit

        store = self._open_store(self.store_path)
        try:
            revision = int(store.revision())
            latest = self._latest_assessment()
            unchanged = revision == self.last_revision and latest == self.last_assessment
            if not force and unchanged:
                return StepResult(False, revision)
            report = reaudit(self.registry, store, now=self._clock())
            from assay.environment.watch import raise_events, resolver_for

            raise_events(self.registry.engine, resolver_for(self.registry), self._clock())
        finally:
            store.close()
        self.last_revision, self.last_assessment = revision, latest
        summary = report.summary()
        log.info("re-audit at store revision %s: %s", revision, summary)
        try:
            delivered = deliver(self.registry.engine, self._clock()).to_dict()
        except Exception:  # events stay in the outbox; the next wake-up delivers them
            log.exception("webhook delivery failed; events stay pending")
            delivered = {}
        return StepResult(True, revision, {**summary, "delivery": delivered})

    def _latest_assessment(self) -> int:
        """The newest stored assessment's id (a firmware registered since the last run is
        enrolled, and may fix what an earlier one carries)."""
        from sqlalchemy import func, select

        from assay.registry import tables as t

        with self.registry.sessions() as session:
            return int(session.scalar(select(func.max(t.AssessmentRow.id))) or 0)

    def start(self) -> None:
        if self.interval <= 0 or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="assay-reaudit", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.step()
            self._stop.wait(self.interval)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the thread to stop and wait for it (a running re-audit finishes first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
