"""Time from a vulnerability's publication to the first later firmware of the same product
that no longer carries it, per manufacturer (in days). Firmware are ordered as registered;
the fixing firmware is dated by its registration (a corpus knows no better date for most)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import func, select

from assay.registry import Registry
from assay.registry import tables as t


def fix_times(registry: Registry) -> dict[str, list[int]]:
    out: dict[str, list[int]] = defaultdict(list)
    with registry.sessions() as session:
        latest = (
            select(func.max(t.AssessmentRow.id).label("id"), t.AssessmentRow.firmware_id)
            .group_by(t.AssessmentRow.firmware_id)
            .subquery()
        )
        rows = session.execute(
            select(
                t.Manufacturer.name,
                t.Firmware.product_id,
                t.Firmware.id,
                t.Firmware.created,
                latest.c.id,
            )
            .join(latest, latest.c.firmware_id == t.Firmware.id)
            .join(t.Product, t.Product.id == t.Firmware.product_id)
            .join(t.Manufacturer, t.Manufacturer.id == t.Product.manufacturer_id)
            .order_by(t.Firmware.product_id, t.Firmware.created, t.Firmware.id)
        ).all()
        by_product: dict[int, list[Any]] = defaultdict(list)
        for row in rows:
            by_product[row[1]].append(row)
        for series in by_product.values():
            if len(series) < 2:
                continue
            carried = [_vulnerabilities(session, r[4]) for r in series]
            for i, earlier in enumerate(carried[:-1]):
                for cve, published in earlier.items():
                    later = next(
                        (j for j in range(i + 1, len(series)) if cve not in carried[j]), None
                    )
                    if later is None or not published:
                        continue
                    if any(cve in carried[k] for k in range(i)):
                        continue  # counted from its first firmware only
                    fixed = series[later][3].date()
                    out[series[0][0]].append(max(0, (fixed - published).days))
    return dict(out)


def _vulnerabilities(session: Any, assessment_id: int) -> dict[str, dt.date | None]:
    document = (
        session.scalar(select(t.AssessmentRow.document).where(t.AssessmentRow.id == assessment_id))
        or {}
    )
    out: dict[str, dt.date | None] = {}
    for v in document.get("vulnerabilities") or []:
        if isinstance(v, dict) and v.get("id"):
            text = str(v.get("published") or "")[:10]
            try:
                out[str(v["id"])] = dt.date.fromisoformat(text)
            except ValueError:
                out[str(v["id"])] = None
    return out
