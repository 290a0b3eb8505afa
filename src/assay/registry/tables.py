"""SQLAlchemy 2 typed mappings of the registry. ORM objects never leave ``assay.registry``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    """Declarative base of every registry table."""


def listing_key(manufacturer: str, product_slug: str, version: str) -> bytes:
    """Bytes that compare (bytewise, as SQLite and PostgreSQL compare blobs) as the tuple of
    the three texts compares in Python: each text's code points in UTF-8 (whose byte order is
    code-point order), with the two lowest characters escaped so that the separator sorts
    below anything a text can go on with."""
    parts = (
        p.replace("\x01", "\x01\x03").replace("\x00", "\x01\x02")
        for p in (manufacturer, product_slug, version)
    )
    return "\x01\x01".join(parts).encode("utf-8", "surrogatepass")


class Manufacturer(Base):
    __tablename__ = "manufacturers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    products: Mapped[list[Product]] = relationship(back_populates="manufacturer")


class ApiToken(Base):
    """A write token bound to one manufacturer; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class TrustedKey(Base):
    """A scanner public key whose signed assessments count as Assay's own (migration 0004)."""

    __tablename__ = "trusted_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(64), unique=True)
    public_key: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200), default="")
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("manufacturer_id", "model", "hardware_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    model: Mapped[str] = mapped_column(String(200))
    hardware_version: Mapped[str] = mapped_column(String(100), default="")
    slug: Mapped[str] = mapped_column(String(400), unique=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    # the latest assessment's summary, kept here so that lists and search need no joins
    latest_assessment_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    firmware_version: Mapped[str] = mapped_column(String(200), default="")
    level: Mapped[int] = mapped_column(Integer, default=0)
    kev_count: Mapped[int] = mapped_column(Integer, default=0)
    support_until: Mapped[str] = mapped_column(String(10), default="")
    # lower-case "manufacturer name model hardware" for search (migration 0002)
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")

    manufacturer: Mapped[Manufacturer] = relationship(back_populates="products")
    firmware: Mapped[list[Firmware]] = relationship(back_populates="product")


class Firmware(Base):
    __tablename__ = "firmware"
    __table_args__ = (UniqueConstraint("product_id", "version", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    version: Mapped[str] = mapped_column(String(200))
    file_name: Mapped[str] = mapped_column(String(500), default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # the id of its latest assessment, set by ``Registry.add`` in the transaction that stores
    # it, so that portfolio search reads each firmware's current state directly (0008)
    latest_assessment_id: Mapped[int | None] = mapped_column(
        Integer, nullable=True, unique=True, index=True
    )
    # (manufacturer, product slug, version) as bytes that sort as Python sorts those texts
    # (``listing_key``; none of the three ever changes): search pages in this order (0008)
    listing_key: Mapped[bytes] = mapped_column(
        LargeBinary, default=b"", server_default=text("''"), index=True
    )

    product: Mapped[Product] = relationship(back_populates="firmware")


class Declaration(Base):
    __tablename__ = "declarations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    support_until: Mapped[str] = mapped_column(String(10), default="")
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AssessmentRow(Base):
    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    firmware_id: Mapped[int] = mapped_column(ForeignKey("firmware.id"), index=True)
    declaration_id: Mapped[int | None] = mapped_column(ForeignKey("declarations.id"))
    tool_version: Mapped[str] = mapped_column(String(50), default="")
    assessed: Mapped[str] = mapped_column(String(40), default="")  # the scan's own timestamp
    stored: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    level: Mapped[int] = mapped_column(Integer, default=0)
    kev_count: Mapped[int] = mapped_column(Integer, default=0)
    vulnerability_count: Mapped[int] = mapped_column(Integer, default=0)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)  # the full assessment.json
    # what pages read: the document without its heavy parts (migration 0003)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # what the product page reads: the summary with only the ids of the matches that count
    # (``summary.brief``, migration 0009); None for rows written around ``Registry.add``
    brief: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # where the evidence came from (migration 0004): "scanned" (by this registry from the
    # image), "signed" (at scan time by a trusted scanner key, ``signed_by``) or
    # "self-asserted" (anything else: it gets no level and no "Yes" on the label)
    provenance: Mapped[str] = mapped_column(
        String(20), default="self-asserted", server_default="self-asserted"
    )
    signed_by: Mapped[str] = mapped_column(String(64), default="", server_default="")


class ComponentRow(Base):
    __tablename__ = "components"
    __table_args__ = (
        # portfolio search reads the entries of one name from this index alone (0007)
        Index("ix_components_search", "name", "assessment_id", "version", "purl"),
        # and those of a CPE prefix from this one (0008; LIKE 'prefix%' on PostgreSQL)
        Index(
            "ix_components_cpe", "cpe", "assessment_id", postgresql_ops={"cpe": "text_pattern_ops"}
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    name: Mapped[str] = mapped_column(String(300), index=True)
    version: Mapped[str] = mapped_column(String(200), default="")
    type: Mapped[str] = mapped_column(String(50), default="")
    purl: Mapped[str] = mapped_column(Text, default="")
    cpe: Mapped[str] = mapped_column(Text, default="")


class FindingRow(Base):
    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    check: Mapped[str] = mapped_column(String(200))
    verdict: Mapped[str] = mapped_column(String(30))
    severity: Mapped[str] = mapped_column(String(30), default="")
    title: Mapped[str] = mapped_column(Text, default="")


class VerdictRow(Base):
    __tablename__ = "verdicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    norm: Mapped[str] = mapped_column(String(100), index=True)
    requirement: Mapped[str] = mapped_column(String(100))
    verdict: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")


class VulnerabilityRow(Base):
    __tablename__ = "vulnerabilities"
    # portfolio search: "which firmware carry a known exploited vulnerability" reads the KEV
    # rows alone, "... CVE-x" that id's entries alone, from these indexes (0008)
    __table_args__ = (
        Index("ix_vulnerabilities_kev", "kev", "assessment_id"),
        Index("ix_vulnerabilities_search", "vuln_id", "assessment_id", "kev"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    vuln_id: Mapped[str] = mapped_column(String(100), index=True)
    component: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(20), default="")
    cvss_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    kev: Mapped[bool] = mapped_column(Boolean, default=False)
    epss: Mapped[float | None] = mapped_column(Float, nullable=True)


class Event(Base):
    """The product's history: registrations, new firmware, assessments, declarations."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    kind: Mapped[str] = mapped_column(String(50))
    detail: Mapped[str] = mapped_column(Text, default="")


class SelfAssessJob(Base):
    """An upload of the free self-assessment page (``assay.web.selfassess``, migration
    0005_selfassess), keyed by the SHA-256 of its private link's token."""

    __tablename__ = "selfassess_jobs"

    key_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    file_name: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))  # queued | running | done | failed
    stage: Mapped[str] = mapped_column(String(300), default="")
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    spool: Mapped[str] = mapped_column(Text, default="")  # the upload while it waits
    document: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    published: Mapped[str] = mapped_column(String(400), default="")  # product slug


class SupplierSbomRow(Base):
    """A supplier's SBOM of one firmware, as uploaded, with its comparison (migration 0006)."""

    __tablename__ = "supplier_sboms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    firmware_id: Mapped[int] = mapped_column(ForeignKey("firmware.id"), index=True)
    assessment_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # compared with
    file_name: Mapped[str] = mapped_column(String(500))
    format: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    # Comparison.summary() plus the CRA II(1) judgement; None when the firmware had no
    # assessment yet
    comparison: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
