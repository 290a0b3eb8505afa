"""The CRA reports a manufacturer says it sent: recorded once per product, vulnerability and
stage (a record is never changed or deleted), and applied to the reporting clocks."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select

from assay.accountability import audit_tables as a
from assay.accountability.clocks import OBLIGATION_STARTS, STAGES
from assay.accountability.from_registry import product_findings
from assay.errors import InputError, UsageError
from assay.registry import Registry
from assay.registry import tables as t
from assay.registry.records import NotFound


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def record_submission(
    registry: Registry,
    slug: str,
    vulnerability: str,
    stage: str,
    *,
    submitted_at: datetime,
    reference: str = "",
    now: datetime | None = None,
    recorded_by: str = "",
) -> dict[str, Any]:
    """Record that the ``stage`` report on ``vulnerability`` in product ``slug`` was sent."""
    if stage not in STAGES:
        raise UsageError(f"unknown report stage {stage!r}", hint=f"use one of {', '.join(STAGES)}")
    moment = _aware(now or datetime.now(UTC))
    when = _aware(submitted_at)
    if when > moment:
        raise UsageError(
            f"the submission time {when.isoformat()} is in the future",
            "give the time the report was actually sent",
        )
    if len(reference) > 1000:
        raise UsageError("the reference is longer than 1,000 characters", "shorten it")
    vid = vulnerability.strip().upper()
    a.ensure_tables(registry.engine)
    with registry.sessions() as session:
        if session.scalar(select(t.Product.id).where(t.Product.slug == slug)) is None:
            raise NotFound(f"no product {slug!r} in the registry", "see `assay registry list`")
    seen = [f for f in product_findings(registry, slug) if f["vulnerability"].upper() == vid]
    if not seen:
        raise InputError(
            f"product {slug!r} has no re-audit finding of {vid}",
            "record reports for the cases its page lists (after `assay registry reaudit`)",
        )
    start = case_start(seen)
    if when < start:
        raise UsageError(
            f"the submission time {when.isoformat()} precedes the case, which started "
            f"{start.isoformat()}",
            "give the time the report was actually sent (ISO 8601 with a time zone)",
        )
    with registry.sessions.begin() as session:
        product_id = session.scalar(select(t.Product.id).where(t.Product.slug == slug))
        earlier = session.scalar(
            select(a.ReportSubmission).where(
                a.ReportSubmission.product_id == product_id,
                a.ReportSubmission.vulnerability == vid,
                a.ReportSubmission.stage == stage,
            )
        )
        if earlier is not None:
            raise UsageError(
                f"the {stage} report on {vid} was already recorded as sent at "
                f"{_aware(earlier.submitted_at).isoformat()}",
                "a record is kept as it was; nothing to do",
            )
        row = a.ReportSubmission(
            product_id=product_id,
            vulnerability=vid,
            stage=stage,
            submitted_at=when,
            reference=reference,
            recorded=moment,
            recorded_by=recorded_by,
        )
        session.add(row)
    return {
        "product": slug,
        "vulnerability": vid,
        "stage": stage,
        "submitted_at": when.isoformat(),
        "reference": reference,
        "recorded": moment.isoformat(),
    }


def case_start(findings: list[dict[str, Any]]) -> datetime:
    """When a case's clock started: its first sighting by the re-audit, not before the
    reporting obligation applies (``ReportCase.clock_start``)."""
    first = min(_aware(datetime.fromisoformat(str(f["first_seen"]))) for f in findings)
    return max(first, OBLIGATION_STARTS)


_OF_PRODUCT = (  # built once: the product page reads it on every request
    select(a.ReportSubmission.vulnerability, a.ReportSubmission.stage)
    .add_columns(a.ReportSubmission.submitted_at)
    .join(t.Product, t.Product.id == a.ReportSubmission.product_id)
    .where(t.Product.slug == bindparam("slug"))
    .order_by(a.ReportSubmission.submitted_at)
)


def submissions(registry: Registry, slug: str) -> dict[str, list[tuple[str, datetime]]]:
    """The recorded reports of a product: vulnerability -> [(stage, sent at)]."""
    a.ensure_tables(registry.engine)
    out: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
    with registry.sessions() as session:
        rows = session.execute(_OF_PRODUCT, {"slug": slug})
        for vid, stage, when in rows:
            out[str(vid)].append((str(stage), _aware(when)))
    return dict(out)
