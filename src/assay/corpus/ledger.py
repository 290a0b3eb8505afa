"""The corpus ledger: one row per image (by SHA-256) with what became of it, in the registry
database beside the registry's tables (created on first use, like the re-audit's tables)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Engine, Float, Integer, String, Text, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class CorpusBase(DeclarativeBase):
    """Declarative base of the corpus tables."""


class CorpusImage(CorpusBase):
    __tablename__ = "corpus_images"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    path: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))  # done | failed
    reason: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    firmware_slug: Mapped[str] = mapped_column(String(400), default="")
    finished: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def ensure_tables(engine: Engine) -> None:
    CorpusBase.metadata.create_all(engine)


def known(engine: Engine, retry_failed: bool) -> dict[str, str]:
    """SHA-256 → status of the images already handled (failed ones left out when retried)."""
    with Session(engine) as session:
        rows = session.execute(select(CorpusImage.sha256, CorpusImage.status)).all()
    return {sha: status for sha, status in rows if not (retry_failed and status == "failed")}


def record(
    engine: Engine,
    sha256: str,
    path: str,
    status: str,
    reason: str = "",
    seconds: float = 0.0,
    slug: str = "",
) -> None:
    """Record (or update) what became of one image."""
    with Session(engine) as session, session.begin():
        row = session.get(CorpusImage, sha256)
        now = datetime.now(UTC)
        if row is None:
            session.add(
                CorpusImage(
                    sha256=sha256,
                    path=path,
                    status=status,
                    reason=reason,
                    seconds=seconds,
                    firmware_slug=slug,
                    finished=now,
                )
            )
        else:
            row.status, row.reason, row.seconds, row.finished = status, reason, seconds, now
            row.attempts += 1
            row.firmware_slug = slug or row.firmware_slug
