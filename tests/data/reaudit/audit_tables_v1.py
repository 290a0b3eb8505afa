"""The first layout of the re-audit tables (findings per firmware), as Assay created them
before the per-inventory layout: a registry that still has them must keep working."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
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


class InventoryName(AuditBase):
    """Inverted index: a name a feed record can touch -> the inventories that carry it."""

    __tablename__ = "audit_inventory_name"
    __table_args__ = (Index("audit_inventory_name_name", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))  # "cpe:vendor:product" or "purl:eco:name"
    inventory_id: Mapped[int] = mapped_column(ForeignKey("audit_inventory.id"))


class AuditedFirmware(AuditBase):
    """A registered firmware version under re-audit, and how far it is up to date."""

    __tablename__ = "audit_firmware"

    firmware_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(Integer)
    inventory_id: Mapped[int] = mapped_column(ForeignKey("audit_inventory.id"), index=True)
    product_id: Mapped[int] = mapped_column(Integer, index=True)
    store_revision: Mapped[int] = mapped_column(Integer)
    enrolled: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Finding(AuditBase):
    """One vulnerability in one component of one firmware version, with its lifecycle."""

    __tablename__ = "audit_finding"
    __table_args__ = (UniqueConstraint("firmware_id", "vuln_id", "component"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    firmware_id: Mapped[int] = mapped_column(Integer, index=True)
    vuln_id: Mapped[str] = mapped_column(String(100), index=True)
    component: Mapped[str] = mapped_column(Text)  # component ref (PURL or name@version)
    component_name: Mapped[str] = mapped_column(String(300), default="")
    state: Mapped[str] = mapped_column(String(20))  # open | fixed | withdrawn | suppressed
    kev: Mapped[bool] = mapped_column(Boolean, default=False)
    severity: Mapped[str] = mapped_column(String(20), default="")
    origin: Mapped[str] = mapped_column(String(40))  # "scan" or "reaudit"
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    changed: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    detail: Mapped[str] = mapped_column(Text, default="")  # why the last change happened


class FindingHistory(AuditBase):
    __tablename__ = "audit_finding_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("audit_finding.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text, default="")


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
