"""Corpus outputs: the component × firmware table (Parquet, CSV) and the corpus questions.

Read straight from the registry's tables (components and vulnerabilities are stored per
assessment), the latest assessment of each firmware: no assessment document is parsed except
to date vulnerabilities for the time-to-fix figures.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from assay.registry import Registry
from assay.registry import tables as t

COLUMNS = [
    "manufacturer",
    "product",
    "model",
    "firmware_version",
    "firmware_sha256",
    "component",
    "version",
    "purl",
    "cpe",
    "vulnerabilities",
    "kev",
]


def rows(registry: Registry) -> list[dict[str, Any]]:
    """One row per (firmware, component), from each firmware's latest assessment."""
    with registry.sessions() as session:
        latest = (
            select(func.max(t.AssessmentRow.id).label("id"))
            .group_by(t.AssessmentRow.firmware_id)
            .subquery()
        )
        meta = {
            r.aid: r
            for r in session.execute(
                select(
                    t.AssessmentRow.id.label("aid"),
                    t.Manufacturer.name.label("maker"),
                    t.Product.slug,
                    t.Product.model,
                    t.Firmware.version,
                    t.Firmware.sha256,
                )
                .join(latest, latest.c.id == t.AssessmentRow.id)
                .join(t.Firmware, t.Firmware.id == t.AssessmentRow.firmware_id)
                .join(t.Product, t.Product.id == t.Firmware.product_id)
                .join(t.Manufacturer, t.Manufacturer.id == t.Product.manufacturer_id)
            )
        }
        vulns: dict[tuple[int, str], list[bool]] = defaultdict(list)
        for aid, comp, kev in session.execute(
            select(
                t.VulnerabilityRow.assessment_id,
                t.VulnerabilityRow.component,
                t.VulnerabilityRow.kev,
            ).where(t.VulnerabilityRow.assessment_id.in_(list(meta)))
        ):
            vulns[(aid, comp)].append(bool(kev))
        out = []
        for c in session.execute(
            select(t.ComponentRow)
            .where(t.ComponentRow.assessment_id.in_(list(meta)))
            .order_by(t.ComponentRow.assessment_id, t.ComponentRow.id)
        ).scalars():
            m = meta[c.assessment_id]
            hits = vulns.get((c.assessment_id, c.purl or f"{c.name}@{c.version}"), [])
            out.append(
                {
                    "manufacturer": m.maker,
                    "product": m.slug,
                    "model": m.model,
                    "firmware_version": m.version,
                    "firmware_sha256": m.sha256,
                    "component": c.name,
                    "version": c.version,
                    "purl": c.purl,
                    "cpe": c.cpe,
                    "vulnerabilities": len(hits),
                    "kev": sum(hits),
                }
            )
    return out


def write_parquet(table: list[dict[str, Any]], path: Path) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as err:  # pragma: no cover - the dask extra brings pyarrow
        from assay.errors import UsageError

        raise UsageError("Parquet output needs pyarrow", "pip install 'assay[dask]'") from err
    columns = {name: [row[name] for row in table] for name in COLUMNS}
    schema = pa.schema(
        [(n, pa.int64() if n in ("vulnerabilities", "kev") else pa.string()) for n in COLUMNS]
    )
    pq.write_table(pa.table(columns, schema=schema), path)


def write_csv(table: list[dict[str, Any]], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(table)


def questions(
    registry: Registry, table: list[dict[str, Any]], today: dt.date | None = None
) -> dict[str, Any]:
    """The corpus questions: prevalence of vulnerable components and known-exploited CVEs,
    support per manufacturer, time from publication to a fixing firmware."""
    today = today or dt.date.today()
    firmware = {r["firmware_sha256"] for r in table}
    vulnerable: Counter[str] = Counter()
    for r in table:
        if r["vulnerabilities"]:
            vulnerable[f"{r['component']} {r['version']}"] += 1
    with registry.sessions() as session:
        kev_rows = session.execute(
            select(
                t.VulnerabilityRow.vuln_id, func.count(func.distinct(t.AssessmentRow.firmware_id))
            )
            .join(t.AssessmentRow, t.AssessmentRow.id == t.VulnerabilityRow.assessment_id)
            .where(t.VulnerabilityRow.kev.is_(True))
            .group_by(t.VulnerabilityRow.vuln_id)
        ).all()
        products = session.execute(
            select(t.Manufacturer.name, t.Product.id, t.Product.slug, t.Product.support_until).join(
                t.Manufacturer, t.Manufacturer.id == t.Product.manufacturer_id
            )
        ).all()
    makers: dict[str, dict[str, Any]] = {}
    for maker, _pid, _slug, until in products:
        entry = makers.setdefault(maker, {"products": 0, "declared_support": [], "past_support": 0})
        entry["products"] += 1
        if until:
            entry["declared_support"].append(until)
            if until < today.isoformat():
                entry["past_support"] += 1
    for entry in makers.values():
        dates = sorted(entry.pop("declared_support"))
        entry["support_until"] = {"earliest": dates[0], "latest": dates[-1]} if dates else None
    from assay.corpus.fixtime import fix_times

    fixes = fix_times(registry)
    for maker, days in fixes.items():
        if maker in makers and days:
            ordered = sorted(days)
            makers[maker]["days_to_fix"] = {
                "median": ordered[len(ordered) // 2],
                "count": len(ordered),
                "max": ordered[-1],
            }
    return {
        "as_of": today.isoformat(),
        "firmware": len(firmware),
        "components": len(table),
        "vulnerable_components": [
            {"component": c, "firmware": n} for c, n in vulnerable.most_common(20)
        ],
        "known_exploited": [
            {"cve": c, "firmware": n} for c, n in sorted(kev_rows, key=lambda r: (-r[1], r[0]))[:20]
        ],
        "manufacturers": dict(sorted(makers.items())),
    }
