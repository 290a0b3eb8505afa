"""The re-audit's own tables, kept in the registry database beside the registry's tables.

Created on first use with ``create_all`` (a no-op afterwards). Nothing here is ever deleted:
a finding's state changes and every change is appended to its history; events stay in the
outbox with their delivery state.

Findings are kept per distinct inventory, not per firmware: firmware with identical contents
carry the same vulnerabilities, so a feed change that touches 100,000 firmware built from
5,000 inventories writes 5,000 sets of findings. What is particular to one firmware (a VEX
statement that suppresses a finding in it) is a ``FirmwareFinding`` row; "fixed in a later
firmware" is derived when read (``states.py``), from the order of the product's firmware.
"""

from __future__ import annotations

import threading
import weakref
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class AuditBase(DeclarativeBase):
    """Declarative base of the re-audit tables (separate from the registry's own schema)."""


class Inventory(AuditBase):
    """A distinct component inventory (firmware versions with identical contents share one)."""

    __tablename__ = "audit_inventory"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    signature: Mapped[str] = mapped_column(String(64), unique=True)
    components: Mapped[list[Any]] = mapped_column(JSON)
    identity: Mapped[dict[str, Any]] = mapped_column(JSON)
    # the store revision its findings are reconciled with (-1: match in full once)
    store_revision: Mapped[int] = mapped_column(Integer, default=-1, index=True)


class InventoryName(AuditBase):
    """Inverted index: a name a feed record can touch -> the inventories that carry it."""

    __tablename__ = "audit_inventory_name"
    __table_args__ = (Index("audit_inventory_name_name", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))  # "cpe:vendor:product" or "purl:eco:name"
    inventory_id: Mapped[int] = mapped_column(ForeignKey("audit_inventory.id"))


class InventoryKernel(AuditBase):
    """What the scan saw of an inventory's Linux kernel (``KernelEvidence.summary()``), so
    that the re-audit decides new kernel CVEs on the same evidence as the scan. A table of
    its own: registries made before it gain it with ``create_all``; an inventory without a
    row has no kernel evidence (its kernel CVEs stay ``unknown``, never ruled out)."""

    __tablename__ = "audit_inventory_kernel"

    inventory_id: Mapped[int] = mapped_column(ForeignKey("audit_inventory.id"), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)


class AuditedFirmware(AuditBase):
    """A registered firmware version under re-audit, and how far it is up to date."""

    __tablename__ = "audit_firmware"

    firmware_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(Integer)
    inventory_id: Mapped[int] = mapped_column(ForeignKey("audit_inventory.id"), index=True)
    product_id: Mapped[int] = mapped_column(Integer, index=True)
    # the build date the image shows (its kernel's banner); None: unknown
    released: Mapped[date | None] = mapped_column(Date, nullable=True)
    enrolled: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Finding(AuditBase):
    """One vulnerability in one component of one inventory (so of every firmware that has
    that inventory), with its lifecycle as the feeds decide it."""

    __tablename__ = "audit_finding"
    __table_args__ = (UniqueConstraint("inventory_id", "vuln_id", "component"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inventory_id: Mapped[int] = mapped_column(Integer, index=True)
    vuln_id: Mapped[str] = mapped_column(String(100), index=True)
    component: Mapped[str] = mapped_column(Text)  # component ref (PURL or name@version)
    component_name: Mapped[str] = mapped_column(String(300), default="")
    state: Mapped[str] = mapped_column(String(20))  # open | withdrawn
    kev: Mapped[bool] = mapped_column(Boolean, default=False)
    severity: Mapped[str] = mapped_column(String(20), default="")
    origin: Mapped[str] = mapped_column(String(40))  # "scan" or "reaudit"
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    changed: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    detail: Mapped[str] = mapped_column(Text, default="")  # why the last change happened


class FirmwareFinding(AuditBase):
    """What holds for a finding in one firmware only: a VEX statement suppressed it there."""

    __tablename__ = "audit_firmware_finding"
    __table_args__ = (UniqueConstraint("firmware_id", "finding_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    firmware_id: Mapped[int] = mapped_column(Integer, index=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("audit_finding.id"), index=True)
    state: Mapped[str] = mapped_column(String(20))  # suppressed
    changed: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    detail: Mapped[str] = mapped_column(Text, default="")
    # the VEX statement that suppressed it, kept so exports can state it again
    status: Mapped[str] = mapped_column(String(30), default="")  # not_affected | fixed
    justification: Mapped[str] = mapped_column(String(80), default="")
    impact: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")


class FindingHistory(AuditBase):
    """A change of a finding after its creation (``firmware_id`` set: in that firmware only)."""

    __tablename__ = "audit_finding_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("audit_finding.id"), index=True)
    firmware_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text, default="")


class ReportSubmission(AuditBase):
    """A CRA report the manufacturer says it sent (early warning, notification, final)."""

    __tablename__ = "audit_report_submission"
    __table_args__ = (UniqueConstraint("product_id", "vulnerability", "stage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(Integer, index=True)
    vulnerability: Mapped[str] = mapped_column(String(100))
    stage: Mapped[str] = mapped_column(String(30))  # early_warning | notification | final_report
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reference: Mapped[str] = mapped_column(Text, default="")  # e.g. the authority's case id
    recorded: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(String(200), default="")


class OutboxEvent(AuditBase):
    __tablename__ = "audit_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    kind: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class Webhook(AuditBase):
    __tablename__ = "audit_webhook"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Delivery(AuditBase):
    """One event to one webhook: pending until delivered, failed after the last attempt."""

    __tablename__ = "audit_delivery"
    __table_args__ = (UniqueConstraint("event_id", "webhook_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("audit_outbox.id"), index=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("audit_webhook.id"))
    state: Mapped[str] = mapped_column(String(20), index=True)  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str] = mapped_column(Text, default="")
    delivered: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


_LOCK = threading.Lock()
_READY: weakref.WeakSet[Engine] = weakref.WeakSet()  # engines whose tables were made sure of


def ensure_tables(engine: Engine) -> None:
    """Create the re-audit tables when they are missing (see ``layout.py`` for the tables of
    the first layout, which are kept aside rather than dropped).

    Once per engine (a page view would otherwise pay a dozen catalogue queries), under a lock
    (the web app's re-audit thread and its request handlers both call it); when another
    process creates them at the same moment, the second attempt finds them."""
    from sqlalchemy.exc import DatabaseError

    from assay.accountability.layout import set_aside_first_layout

    if engine in _READY:
        return
    with _LOCK:
        set_aside_first_layout(engine)
        try:
            AuditBase.metadata.create_all(engine)
        except DatabaseError:
            AuditBase.metadata.create_all(engine)  # raced with another process: check again
        _READY.add(engine)


SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime in SQLite


def insert_rows(session: Any, table: type[AuditBase], rows: list[dict[str, Any]]) -> None:
    """Insert many rows at once. On SQLite the rows go straight to the driver, which is about
    four times faster than SQLAlchemy's per-value processing (a re-audit can write a million
    findings); values are stored exactly as SQLAlchemy would store them. Elsewhere, Core."""
    if not rows:
        return
    connection = session.connection()
    name = table.__tablename__
    if connection.dialect.name != "sqlite":
        from sqlalchemy import insert

        session.execute(insert(table), rows)
        return
    columns = list(rows[0])
    getter = itemgetter(*columns)
    when = [i for i, c in enumerate(columns) if isinstance(rows[0][c], datetime)]
    text: dict[datetime, str] = {}  # a re-audit stamps every row with the same few instants

    def stamp(value: Any) -> Any:
        if not isinstance(value, datetime):
            return value
        if value not in text:
            text[value] = value.strftime(SQLITE_DATETIME)
        return text[value]

    values = []
    for row in rows:
        value = list(getter(row))
        for i in when:
            value[i] = stamp(value[i])
        values.append(tuple(value))
    marks = ", ".join("?" * len(columns))
    connection.exec_driver_sql(
        f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})", values
    )
