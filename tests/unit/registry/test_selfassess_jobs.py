"""Self-assessment jobs in the registry database (SQLite and PostgreSQL): the private link's
hash as key, expiry and purge, the count of waiting jobs, and a restart that resumes a
waiting upload (here a file that is no image, so the real pipeline fails it with a reason)
and fails one whose upload is gone."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from assay.registry import Registry
from assay.registry import tables as t
from assay.web.selfassess import SelfJobs, digest


def test_jobs_are_kept_expire_and_resume(registry: Registry, tmp_path: Path) -> None:
    jobs = SelfJobs(registry, tmp_path / "spool", days=2)
    folder = jobs.folder()
    (folder / "notes.bin").write_bytes(b"no firmware here\n" * 64)
    waiting = jobs.record(folder / "notes.bin", "notes.bin")
    lost = jobs.record(tmp_path / "gone" / "x.bin", "x.bin")
    job = jobs.get(waiting)
    assert job is not None and job.status == "queued" and not job.expired
    assert job.expires - job.created == timedelta(days=2)
    assert jobs.get("not-a-token") is None and jobs.waiting() == 2

    restarted = SelfJobs(registry, tmp_path / "spool", days=2)
    restarted.start()
    try:
        deadline = time.monotonic() + 120
        while (done := restarted.get(waiting)) is None or done.status in ("queued", "running"):
            assert time.monotonic() < deadline
            time.sleep(0.2)
    finally:
        restarted.stop()
    assert done.status == "failed" and done.error and done.error["message"]
    assert not folder.exists()  # the upload is removed once scanned
    gone = restarted.get(lost)
    assert gone is not None and gone.status == "failed"
    assert gone.error is not None and "restarted" in gone.error["message"]
    assert restarted.waiting() == 0

    with registry.sessions.begin() as session:
        session.execute(
            update(t.SelfAssessJob)
            .where(t.SelfAssessJob.key_sha256 == digest(lost))
            .values(expires=datetime.now(UTC) - timedelta(minutes=1))
        )
    assert restarted.purge() == 1
    assert restarted.get(lost) is None and restarted.get(waiting) is not None
