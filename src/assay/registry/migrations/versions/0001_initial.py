"""The first registry schema: manufacturers, tokens, products, firmware, declarations,
assessments with their components, findings, verdicts and vulnerabilities, and events.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _fk(name: str, target: str, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), sa.ForeignKey(target), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "manufacturers",
        _id(),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("slug", sa.String(200), nullable=False, unique=True),
        sa.Column("created", TS, nullable=False),
    )
    op.create_table(
        "api_tokens",
        _id(),
        _fk("manufacturer_id", "manufacturers.id"),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("note", sa.String(200), nullable=False),
        sa.Column("created", TS, nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "products",
        _id(),
        _fk("manufacturer_id", "manufacturers.id"),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("hardware_version", sa.String(100), nullable=False),
        sa.Column("slug", sa.String(400), nullable=False, unique=True),
        sa.Column("created", TS, nullable=False),
        sa.Column("updated", TS, nullable=False),
        sa.Column("latest_assessment_id", sa.Integer(), nullable=True),
        sa.Column("firmware_version", sa.String(200), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("kev_count", sa.Integer(), nullable=False),
        sa.Column("support_until", sa.String(10), nullable=False),
        sa.UniqueConstraint("manufacturer_id", "model", "hardware_version"),
    )
    op.create_table(
        "firmware",
        _id(),
        _fk("product_id", "products.id"),
        sa.Column("version", sa.String(200), nullable=False),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created", TS, nullable=False),
        sa.UniqueConstraint("product_id", "version", "sha256"),
    )
    op.create_table(
        "declarations",
        _id(),
        _fk("product_id", "products.id"),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("support_until", sa.String(10), nullable=False),
        sa.Column("created", TS, nullable=False),
    )
    op.create_table(
        "assessments",
        _id(),
        _fk("firmware_id", "firmware.id"),
        _fk("declaration_id", "declarations.id", nullable=True),
        sa.Column("tool_version", sa.String(50), nullable=False),
        sa.Column("assessed", sa.String(40), nullable=False),
        sa.Column("stored", TS, nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("kev_count", sa.Integer(), nullable=False),
        sa.Column("vulnerability_count", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
    )
    op.create_table(
        "components",
        _id(),
        _fk("assessment_id", "assessments.id"),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("version", sa.String(200), nullable=False),
        sa.Column("type", sa.String(50), nullable=False),
        sa.Column("purl", sa.Text(), nullable=False),
        sa.Column("cpe", sa.Text(), nullable=False),
    )
    op.create_table(
        "findings",
        _id(),
        _fk("assessment_id", "assessments.id"),
        sa.Column("check", sa.String(200), nullable=False),
        sa.Column("verdict", sa.String(30), nullable=False),
        sa.Column("severity", sa.String(30), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
    )
    op.create_table(
        "verdicts",
        _id(),
        _fk("assessment_id", "assessments.id"),
        sa.Column("norm", sa.String(100), nullable=False),
        sa.Column("requirement", sa.String(100), nullable=False),
        sa.Column("verdict", sa.String(30), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    op.create_table(
        "vulnerabilities",
        _id(),
        _fk("assessment_id", "assessments.id"),
        sa.Column("vuln_id", sa.String(100), nullable=False),
        sa.Column("component", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("cvss_score", sa.Float(), nullable=True),
        sa.Column("kev", sa.Boolean(), nullable=False),
        sa.Column("epss", sa.Float(), nullable=True),
    )
    op.create_table(
        "events",
        _id(),
        _fk("product_id", "products.id"),
        sa.Column("at", TS, nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    for table, column in INDEXES:
        op.create_index(f"ix_{table}_{column}", table, [column])


INDEXES = [
    ("api_tokens", "manufacturer_id"),
    ("products", "manufacturer_id"),
    ("products", "updated"),
    ("firmware", "product_id"),
    ("declarations", "product_id"),
    ("assessments", "firmware_id"),
    ("assessments", "stored"),
    ("components", "assessment_id"),
    ("components", "name"),
    ("findings", "assessment_id"),
    ("verdicts", "assessment_id"),
    ("verdicts", "norm"),
    ("vulnerabilities", "assessment_id"),
    ("vulnerabilities", "vuln_id"),
    ("events", "product_id"),
    ("events", "at"),
]


def downgrade() -> None:
    for table in reversed(
        [
            "manufacturers",
            "api_tokens",
            "products",
            "firmware",
            "declarations",
            "assessments",
            "components",
            "findings",
            "verdicts",
            "vulnerabilities",
            "events",
        ]
    ):
        op.drop_table(table)
