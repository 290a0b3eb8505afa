"""Environments kept in the registry, and the events the re-audit raises about them.

An environment is stored as its validated document. Devices that name registered firmware
(``registry: SLUG@VERSION``) are the watched ones: after a re-audit, ``raise_events`` reads the
new known-exploited findings from the outbox (``finding.new`` events since the last time it
looked), and for every stored environment whose devices run an affected firmware it adds one
``environment.kev`` event with the blast radius: devices, zones and functions hit, and the
devices, zones and functions that lose their uplink if the affected devices are isolated.
Devices described by an assessment file or an SBOM are copied into the document when it is
stored (their inventory as of then); only registered firmware is re-audited.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, Integer, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from assay.environment.inventory import from_assessment, from_sbom
from assay.environment.load import Resolver, build, read_valid
from assay.errors import UsageError


class EnvBase(DeclarativeBase):
    """Declarative base of the environment tables (created on first use)."""


class EnvironmentRow(EnvBase):
    __tablename__ = "environments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Cursor(EnvBase):
    """The last outbox event the environment watch has read."""

    __tablename__ = "environment_cursor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(Integer, default=0)


def ensure_tables(engine: Engine) -> None:
    EnvBase.metadata.create_all(engine)


def store(engine: Engine, path: Path, name: str | None = None) -> str:
    """Validate the environment at ``path`` and keep it (replacing one of the same name)."""
    document = read_valid(path)
    if document.get("import"):
        raise UsageError(
            "a stored environment cannot import other files",
            "analyze it with `assay environment analyze` instead",
        )
    document = _inline(document, path.parent)
    label = name or document.get("name") or path.stem
    ensure_tables(engine)
    with Session(engine) as session, session.begin():
        row = session.scalar(select(EnvironmentRow).where(EnvironmentRow.name == label))
        now = datetime.now(UTC)
        if row is None:
            session.add(EnvironmentRow(name=label, document=document, updated=now))
        else:
            row.document, row.updated = document, now
    return str(label)


def stored(engine: Engine) -> list[tuple[str, dict[str, Any]]]:
    ensure_tables(engine)
    with Session(engine) as session:
        return [
            (r.name, r.document)
            for r in session.scalars(select(EnvironmentRow).order_by(EnvironmentRow.name))
        ]


def _inline(document: dict[str, Any], base: Path) -> dict[str, Any]:
    """Devices described by files get their inventory copied in (the files may not stay)."""
    devices = []
    for device in document.get("devices", []):
        device = dict(device)
        for key in ("assessment", "sbom"):
            if key in device:
                target = (base / device.pop(key)).resolve()
                if key == "assessment":
                    components, findings, meta = from_assessment(target)
                    if meta.get("support_end") and "support_end" not in device:
                        device["support_end"] = meta["support_end"]
                    device.setdefault("vendor", meta.get("vendor", ""))
                else:
                    components, findings = from_sbom(target)
                device["components"] = [{"name": n, "version": v} for n, v in components]
                device["vulnerabilities"] = [
                    {"id": f.id, "component": f.component, "kev": f.kev, "severity": f.severity}
                    for f in findings
                ]
        devices.append(device)
    return {**document, "devices": devices}


def raise_events(engine: Engine, resolve: Resolver, now: datetime | None = None) -> int:
    """Read the outbox's new known-exploited findings and add an ``environment.kev`` event per
    affected stored environment; returns how many were added."""
    from assay.accountability import audit_tables as a
    from assay.accountability.outbox import emit
    from assay.environment.analyze import Context
    from assay.environment.exposure import blast_radius_of

    ensure_tables(engine)
    a.ensure_tables(engine)
    moment = now or datetime.now(UTC)
    added = 0
    with Session(engine) as session, session.begin():
        cursor = session.get(Cursor, 1) or Cursor(id=1, outbox_id=0)
        session.add(cursor)
        events = session.execute(
            select(a.OutboxEvent.id, a.OutboxEvent.payload)
            .where(a.OutboxEvent.id > cursor.outbox_id, a.OutboxEvent.kind == "finding.new")
            .order_by(a.OutboxEvent.id)
        ).all()
        last = max((int(e[0]) for e in events), default=cursor.outbox_id)
        hit: dict[str, set[str]] = defaultdict(set)  # vulnerability -> SLUG@VERSION
        for _, payload in events:
            firmware = {f"{w['product']}@{w['firmware']}" for w in payload.get("firmware", [])}
            for finding in payload.get("findings", []):
                if finding.get("kev"):
                    hit[str(finding["vulnerability"])] |= firmware
        for name, document in stored(engine) if hit else []:
            refs = {d.get("registry") for d in document.get("devices", []) if d.get("registry")}
            relevant = {v: fw & refs for v, fw in hit.items() if fw & refs}
            if not relevant:
                continue
            env = build(document, Path("."), resolve)
            ctx = Context.of(env)
            for vulnerability, firmware in sorted(relevant.items()):
                carriers = {d.id for d in env.devices.values() if d.source in firmware}
                row = blast_radius_of(ctx, vulnerability, carriers)
                emit(
                    session,
                    moment,
                    "environment.kev",
                    _payload(name, vulnerability, sorted(firmware), row),
                )
                added += 1
        cursor.outbox_id = last
    return added


def _payload(
    name: str, vulnerability: str, firmware: list[str], row: dict[str, Any]
) -> dict[str, Any]:
    hit, lost = row["affected"], row["collateral_if_isolated"]
    message = (
        f"{vulnerability} (known exploited) affects {hit['devices']} device(s) in "
        f"{len(hit['zones'])} zone(s) of {name}"
    )
    if lost["devices"]:
        message += (
            f"; isolating them cuts off {lost['devices']} more in "
            f"{', '.join(lost['zones'])} ({', '.join(lost['functions']) or 'no function named'})"
        )
    return {
        "environment": name,
        "vulnerability": vulnerability,
        "firmware": firmware,
        "affected": hit,
        "collateral_if_isolated": lost,
        "message": message,
    }


def resolver_for(registry: Any) -> Resolver:
    """Inventories of registered firmware (``SLUG@VERSION``) as the re-audit sees them now."""
    from assay.accountability.registered import current_assessment, resolve
    from assay.environment.inventory import from_document

    cache: dict[str, Any] = {}

    def resolver(reference: str) -> Any:
        if reference not in cache:
            document = current_assessment(registry, resolve(registry, reference))
            components, findings, _ = from_document(document)
            cache[reference] = (components, findings)
        return cache[reference]

    return resolver


def dumps(value: Any) -> str:
    return json.dumps(value, indent=2, default=str)
