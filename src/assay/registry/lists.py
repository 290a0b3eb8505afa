"""Paged, sorted lists of the registry, counted and cut in the database.

Each function returns ``(total, rows)``: ``total`` counts every row that matches, ``rows`` is
the page ``limit``/``offset`` asks for, in the order ``sort`` names (``key`` or ``-key``; the
caller has checked the key against the function's ``*_SORT``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from assay.registry import tables as t
from assay.registry.queries import MAX_ID, _iso, _matching, _summary
from assay.registry.records import NotFound, ProductSummary
from assay.registry.repository import Registry

MAX_LIMIT = 1000
PRODUCT_SORT = {
    "updated": t.Product.updated,
    "name": t.Product.name,
    "model": t.Product.model,
    "manufacturer": t.Manufacturer.name,
    "level": t.Product.level,
    "kev_count": t.Product.kev_count,
    "support_until": t.Product.support_until,
    "firmware_version": t.Product.firmware_version,
}
FIRMWARE_SORT = {
    "created": t.Firmware.created,
    "version": t.Firmware.version,
    "file_name": t.Firmware.file_name,
    "size": t.Firmware.size,
}
EVENT_SORT = {"at": t.Event.at, "kind": t.Event.kind}
ASSESSMENT_SORT = {
    "stored": t.AssessmentRow.stored,
    "assessed": t.AssessmentRow.assessed,
    "level": t.AssessmentRow.level,
    "kev_count": t.AssessmentRow.kev_count,
    "vulnerability_count": t.AssessmentRow.vulnerability_count,
    "firmware": t.Firmware.version,
}


def _ordered(stmt: Any, columns: dict[str, Any], sort: str, default: str, tie: Any) -> Any:
    sort = sort or default
    column = columns[sort.lstrip("-")]
    first = column.desc() if sort.startswith("-") else column.asc()
    return stmt.order_by(first, tie.desc() if sort.startswith("-") else tie.asc())


def _cut(stmt: Any, limit: int, offset: int) -> Any:
    return stmt.limit(max(1, min(limit, MAX_LIMIT))).offset(max(0, offset))


def _product_id(session: Any, slug: str) -> int:
    found = session.scalar(select(t.Product.id).where(t.Product.slug == slug))
    if found is None:
        raise NotFound(f"no product {slug!r} in the registry", "search with `assay registry list`")
    return int(found)


def products(
    registry: Registry, query: str, limit: int, offset: int, sort: str = ""
) -> tuple[int, list[ProductSummary]]:
    """Products holding every word of ``query``; most recently updated first by default."""
    stmt = _matching(
        select(t.Product, t.Manufacturer.name).join(
            t.Manufacturer, t.Product.manufacturer_id == t.Manufacturer.id
        ),
        query,
    )
    stmt = _cut(_ordered(stmt, PRODUCT_SORT, sort, "-updated", t.Product.id), limit, offset)
    with registry.sessions() as session:
        rows = [_summary(p, m) for p, m in session.execute(stmt).all()]
    return registry.count_products(query), rows


def firmware(
    registry: Registry, slug: str, limit: int, offset: int, sort: str = ""
) -> tuple[int, list[dict[str, Any]]]:
    """A product's firmware, newest registration first by default, with their assessments."""
    with registry.sessions() as session:
        pid = _product_id(session, slug)
        total = session.scalar(select(func.count()).where(t.Firmware.product_id == pid)) or 0
        stmt = select(t.Firmware).where(t.Firmware.product_id == pid)
        page = list(
            session.scalars(
                _cut(_ordered(stmt, FIRMWARE_SORT, sort, "-created", t.Firmware.id), limit, offset)
            )
        )
        ids: dict[int, list[int]] = {f.id: [] for f in page}
        for fid, aid in session.execute(
            select(t.AssessmentRow.firmware_id, t.AssessmentRow.id)
            .where(t.AssessmentRow.firmware_id.in_(list(ids)))
            .order_by(t.AssessmentRow.id)
        ):
            ids[int(fid)].append(int(aid))
    rows = [
        {
            "version": f.version,
            "file_name": f.file_name,
            "sha256": f.sha256,
            "size": f.size,
            "created": _iso(f.created),
            "assessments": ids[f.id],
        }
        for f in page
    ]
    return int(total), rows


def events(
    registry: Registry, slug: str, limit: int, offset: int, sort: str = ""
) -> tuple[int, list[dict[str, Any]]]:
    """A product's history, newest first by default."""
    with registry.sessions() as session:
        pid = _product_id(session, slug)
        total = session.scalar(select(func.count()).where(t.Event.product_id == pid)) or 0
        stmt = _ordered(
            select(t.Event).where(t.Event.product_id == pid), EVENT_SORT, sort, "-at", t.Event.id
        )
        rows = [
            {"at": _iso(e.at), "kind": e.kind, "detail": e.detail}
            for e in session.scalars(_cut(stmt, limit, offset))
        ]
    return int(total), rows


def assessments(
    registry: Registry, slug: str, limit: int, offset: int, sort: str = ""
) -> tuple[int, list[dict[str, Any]]]:
    """A product's assessments (without their documents), newest first by default."""
    with registry.sessions() as session:
        pid = _product_id(session, slug)
        joined = select(t.AssessmentRow.id).join(
            t.Firmware, t.Firmware.id == t.AssessmentRow.firmware_id
        )
        total = session.scalar(
            select(func.count()).select_from(joined.where(t.Firmware.product_id == pid).subquery())
        )
        stmt = (
            select(
                t.AssessmentRow.id,
                t.Firmware.version,
                t.AssessmentRow.assessed,
                t.AssessmentRow.stored,
                t.AssessmentRow.level,
                t.AssessmentRow.kev_count,
                t.AssessmentRow.vulnerability_count,
                t.AssessmentRow.provenance,
            )
            .join(t.Firmware, t.Firmware.id == t.AssessmentRow.firmware_id)
            .where(t.Firmware.product_id == pid)
        )
        stmt = _ordered(stmt, ASSESSMENT_SORT, sort, "-stored", t.AssessmentRow.id)
        rows = [
            {
                "id": aid,
                "firmware_version": version,
                "assessed": assessed,
                "stored": _iso(stored),
                "level": level,
                "kev_count": kev,
                "vulnerability_count": vulns,
                "provenance": provenance,
            }
            for aid, version, assessed, stored, level, kev, vulns, provenance in session.execute(
                _cut(stmt, limit, offset)
            )
        ]
    return int(total or 0), rows


CHECK_SORT = {
    "check": t.FindingRow.check,
    "verdict": t.FindingRow.verdict,
    "severity": t.FindingRow.severity,
    "title": t.FindingRow.title,
}


def checks(
    registry: Registry,
    assessment_id: int,
    verdict: str,
    limit: int,
    offset: int,
    sort: str = "",
) -> tuple[int, list[dict[str, Any]]]:
    """An assessment's check results (``verdict``: only those, e.g. FAIL), by check id."""
    stmt = select(t.FindingRow).where(t.FindingRow.assessment_id == assessment_id)
    missing = NotFound(f"no assessment {assessment_id} in the registry", "see its product")
    if not 0 < assessment_id <= MAX_ID:
        raise missing
    if verdict:
        stmt = stmt.where(t.FindingRow.verdict == verdict)
    with registry.sessions() as session:
        there = select(t.AssessmentRow.id).where(t.AssessmentRow.id == assessment_id)
        if session.scalar(there) is None:
            raise missing
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        stmt = _ordered(stmt, CHECK_SORT, sort, "check", t.FindingRow.id)
        rows = [
            {"check": f.check, "verdict": f.verdict, "severity": f.severity, "title": f.title}
            for f in session.scalars(_cut(stmt, limit, offset))
        ]
    return int(total), rows
