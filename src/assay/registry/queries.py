"""Read-only look-ups of the registry; each returns frozen records."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, load_only, sessionmaker

from assay.registry import tables as t
from assay.registry.records import (
    AssessmentRecord,
    EventRecord,
    FirmwareRecord,
    NotFound,
    ProductDetail,
    ProductSummary,
)
from assay.registry.summary import brief, summarize

MAX_LIMIT = 500
MAX_ID = 2**31 - 1  # ids are 32-bit INTEGER columns (PostgreSQL); larger ones match nothing
LIGHT = (
    t.AssessmentRow.id,
    t.AssessmentRow.assessed,
    t.AssessmentRow.stored,
    t.AssessmentRow.level,
    t.AssessmentRow.kev_count,
    t.AssessmentRow.vulnerability_count,
    t.AssessmentRow.provenance,
    t.AssessmentRow.signed_by,
)


def _iso(moment: datetime) -> str:
    """ISO-8601 in UTC (SQLite gives naive datetimes back; they were stored as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _summary(product: t.Product, manufacturer: str) -> ProductSummary:
    return ProductSummary(
        slug=product.slug,
        manufacturer=manufacturer,
        name=product.name,
        model=product.model,
        hardware_version=product.hardware_version,
        firmware_version=product.firmware_version,
        level=product.level,
        kev_count=product.kev_count,
        support_until=product.support_until,
        updated=_iso(product.updated),
    )


def _matching(stmt: Any, query: str) -> Any:
    """``stmt`` limited to products whose search text holds every word of ``query``."""
    for word in query.lower().split()[:8]:
        stmt = stmt.where(t.Product.search_text.contains(word, autoescape=True))
    return stmt


# The product page's reads, built once: building a statement took longer than running it.
_PRODUCT = (
    select(t.Product, t.Manufacturer.name)
    .join(t.Manufacturer, t.Product.manufacturer_id == t.Manufacturer.id)
    .where(t.Product.slug == bindparam("slug"))
)
_FIRMWARE = (
    select(
        t.Firmware.id,
        t.Firmware.version,
        t.Firmware.file_name,
        t.Firmware.sha256,
        t.Firmware.created,
        t.AssessmentRow.id,
    )
    .outerjoin(t.AssessmentRow, t.AssessmentRow.firmware_id == t.Firmware.id)
    .where(t.Firmware.product_id == bindparam("product"))
    .order_by(t.Firmware.created.desc(), t.Firmware.id.desc(), t.AssessmentRow.id)
)
_EVENTS = (
    select(t.Event.at, t.Event.kind, t.Event.detail)
    .where(t.Event.product_id == bindparam("product"))
    .order_by(t.Event.at.desc(), t.Event.id.desc())
    .limit(200)
)
_DECLARATION = (
    select(t.Declaration.content)
    .where(t.Declaration.product_id == bindparam("product"))
    .order_by(t.Declaration.id.desc())
    .limit(1)
)
_LATEST = (
    select(*LIGHT, t.AssessmentRow.brief, t.Firmware.version)
    .add_columns(t.Firmware.file_name, t.Firmware.sha256)
    .join(t.Firmware, t.AssessmentRow.firmware_id == t.Firmware.id)
    .where(t.AssessmentRow.id == bindparam("id"))
)

_DOCUMENT = select(t.AssessmentRow.document).where(t.AssessmentRow.id == bindparam("id"))


def _record(
    a: Any, f: Any, slug: str, maker: str, document: dict[str, Any], summary: dict[str, Any]
) -> AssessmentRecord:
    """An AssessmentRecord from an assessment's light columns (``a``: a row or the ORM object)
    and its firmware's version, file name and digest (``f``)."""
    return AssessmentRecord(
        id=a.id,
        product_slug=slug,
        firmware_version=f.version,
        file_name=f.file_name,
        sha256=f.sha256,
        assessed=a.assessed,
        stored=_iso(a.stored),
        level=a.level,
        kev_count=a.kev_count,
        vulnerability_count=a.vulnerability_count,
        document=document,
        summary=summary,
        provenance=a.provenance,
        signed_by=a.signed_by,
        manufacturer=maker,
    )


def product_row(session: Session, slug: str) -> tuple[t.Product, str]:
    """The product with ``slug`` and its manufacturer's name; NotFound when there is none."""
    row = session.execute(_PRODUCT, {"slug": slug}).first()
    if row is None:
        raise NotFound(f"no product {slug!r} in the registry", "search with `assay registry list`")
    return row[0], row[1]


class Queries:
    """Look-ups shared by the CLI, the web pages and the JSON API."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def _search(self, query: str) -> Any:
        """Products (with their manufacturer's name) containing every word of ``query``."""
        stmt = select(t.Product, t.Manufacturer.name).join(
            t.Manufacturer, t.Product.manufacturer_id == t.Manufacturer.id
        )
        return _matching(stmt, query)

    def products(self, query: str = "", limit: int = 50, offset: int = 0) -> list[ProductSummary]:
        """Products matching every word of ``query`` (any field), most recently updated first."""
        stmt = (
            self._search(query)
            .order_by(t.Product.updated.desc(), t.Product.id.desc())
            .limit(max(1, min(limit, MAX_LIMIT)))
            .offset(max(0, offset))
        )
        with self._sessions() as session:
            return [_summary(p, m) for p, m in session.execute(stmt).all()]

    def count_products(self, query: str = "") -> int:
        stmt = _matching(select(func.count()).select_from(t.Product), query)
        with self._sessions() as session:
            return int(session.scalar(stmt) or 0)

    def product(self, slug: str) -> ProductDetail:
        """One product with its firmware history, events, latest assessment (with the brief of
        its summary, ``summary.brief``) and declaration. Plain column reads: the product page
        asks for this on every request."""
        with self._sessions() as session:
            product, maker = product_row(session, slug)
            return ProductDetail(
                summary=_summary(product, maker),
                firmware=self._firmware(session, product.id),
                history=tuple(
                    EventRecord(_iso(at), kind, detail)
                    for at, kind, detail in session.execute(_EVENTS, {"product": product.id})
                ),
                latest=self._latest(session, product.latest_assessment_id, slug, maker),
                declaration=self._declaration(session, product.id),
            )

    @staticmethod
    def _firmware(session: Session, product_id: int) -> tuple[FirmwareRecord, ...]:
        rows = session.execute(_FIRMWARE, {"product": product_id}).all()
        merged: dict[int, tuple[FirmwareRecord, list[int]]] = {}
        for firmware_id, version, file_name, sha, created, assessment_id in rows:
            if firmware_id not in merged:
                record = FirmwareRecord(version, file_name, sha, _iso(created), ())
                merged[firmware_id] = (record, [])
            if assessment_id is not None:
                merged[firmware_id][1].append(assessment_id)
        return tuple(replace(f, assessments=tuple(ids)) for f, ids in merged.values())

    @staticmethod
    def _declaration(session: Session, product_id: int) -> dict[str, Any] | None:
        return session.scalar(_DECLARATION, {"product": product_id})

    @staticmethod
    def _latest(
        session: Session, assessment_id: int | None, slug: str, maker: str
    ) -> AssessmentRecord | None:
        """The product's latest assessment with the brief of its summary, no document."""
        if assessment_id is None or not 0 < assessment_id <= MAX_ID:
            return None
        row = session.execute(_LATEST, {"id": assessment_id}).first()
        if row is None:
            return None
        made = row.brief
        if made is None:  # a row written around Registry.add: made from its summary
            summary = t.AssessmentRow.summary
            full = session.scalar(select(summary).where(t.AssessmentRow.id == row.id))
            made = brief(full if isinstance(full, dict) else {})
        return _record(row, row, slug, maker, {}, made)

    @staticmethod
    def _assessment(session: Session, assessment_id: int | None) -> AssessmentRecord | None:
        """One assessment with its full document (and the summary made from it)."""
        if assessment_id is None or not 0 < assessment_id <= MAX_ID:
            return None  # an id no database column can hold is simply not there
        row = session.execute(
            select(t.AssessmentRow, t.Firmware, t.Product.slug, t.Manufacturer.name)
            .join(t.Firmware, t.AssessmentRow.firmware_id == t.Firmware.id)
            .join(t.Product, t.Firmware.product_id == t.Product.id)
            .join(t.Manufacturer, t.Product.manufacturer_id == t.Manufacturer.id)
            .where(t.AssessmentRow.id == assessment_id)
            .options(load_only(*LIGHT, t.AssessmentRow.document))
        ).first()
        if row is None:
            return None
        a, f, slug, maker = row
        return _record(a, f, slug, maker, a.document, summarize(a.document) or {})

    def document(self, assessment_id: int) -> dict[str, Any]:
        """An assessment's full document alone ({} when there is none): what the product page
        reads for CRA report texts, without the summary ``assessment`` makes of it."""
        if not 0 < assessment_id <= MAX_ID:
            return {}
        with self._sessions() as session:
            found = session.scalar(_DOCUMENT, {"id": assessment_id})
        return found if isinstance(found, dict) else {}

    def assessment(self, assessment_id: int) -> AssessmentRecord:
        """One stored assessment with its full document."""
        with self._sessions() as session:
            record = self._assessment(session, assessment_id)
        if record is None:
            raise NotFound(
                f"no assessment {assessment_id} in the registry", "see the product's history"
            )
        return record

    def verdict_counts(self, assessment_id: int) -> dict[str, dict[str, int]]:
        """Per norm, how many requirements got each verdict (from the verdicts table)."""
        stmt = (
            select(t.VerdictRow.norm, t.VerdictRow.verdict, func.count())
            .where(t.VerdictRow.assessment_id == assessment_id)
            .group_by(t.VerdictRow.norm, t.VerdictRow.verdict)
        )
        counts: dict[str, dict[str, int]] = {}
        with self._sessions() as session:
            for norm, verdict, n in session.execute(stmt).all():
                counts.setdefault(norm, {})[verdict] = int(n)
        return counts
