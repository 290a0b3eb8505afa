"""Firmware get ``latest_assessment_id``: the id of their latest assessment, kept by
``Registry.add`` in the same transaction that stores a new one, so that portfolio search never
computes "the latest assessment of every firmware" over all assessments. Existing registries
are backfilled here (the highest assessment id of each firmware, as search read it before).

Firmware also get ``listing_key``: manufacturer name, product slug and version as bytes that
sort as Python sorts those texts (``tables.listing_key``), indexed, so that a search page is cut
in that order without joining and sorting every match with its product and manufacturer.

Vulnerability rows get indexes on ``(kev, assessment_id)`` and ``(vuln_id, assessment_id,
kev)``: "which firmware carry a known exploited vulnerability" (or CVE-x) then reads the KEV
rows (that id's entries) alone. Components get one
on ``(cpe, assessment_id)`` for CPE prefix searches (``text_pattern_ops`` on PostgreSQL, so
that ``LIKE 'prefix%'`` uses it whatever the database's collation).

Revision ID: 0008_firmware_latest
Revises: 0007_component_search_index
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from assay.registry.tables import listing_key

revision = "0008_firmware_latest"
down_revision = "0007_component_search_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD/DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch copy of the table would trip
    # the foreign keys of its child tables
    op.add_column("firmware", sa.Column("latest_assessment_id", sa.Integer(), nullable=True))
    op.add_column(
        "firmware",
        sa.Column("listing_key", sa.LargeBinary(), nullable=False, server_default=sa.text("''")),
    )
    firmware = sa.table(
        "firmware", sa.column("id", sa.Integer()), sa.column("latest_assessment_id", sa.Integer())
    )
    assessments = sa.table(
        "assessments", sa.column("id", sa.Integer()), sa.column("firmware_id", sa.Integer())
    )
    newest = (
        sa.select(sa.func.max(assessments.c.id))
        .where(assessments.c.firmware_id == firmware.c.id)
        .scalar_subquery()
    )
    bind = op.get_bind()
    bind.execute(firmware.update().values(latest_assessment_id=newest))
    _listing_keys(bind)
    op.create_index(
        "ix_firmware_latest_assessment_id", "firmware", ["latest_assessment_id"], unique=True
    )
    op.create_index("ix_firmware_listing_key", "firmware", ["listing_key"])
    op.create_index("ix_vulnerabilities_kev", "vulnerabilities", ["kev", "assessment_id"])
    op.create_index(
        "ix_vulnerabilities_search", "vulnerabilities", ["vuln_id", "assessment_id", "kev"]
    )
    op.create_index(
        "ix_components_cpe",
        "components",
        ["cpe", "assessment_id"],
        postgresql_ops={"cpe": "text_pattern_ops"},
    )


def _listing_keys(bind: sa.Connection) -> None:
    firmware = sa.table(
        "firmware",
        sa.column("id", sa.Integer()),
        sa.column("product_id", sa.Integer()),
        sa.column("version", sa.String()),
        sa.column("listing_key", sa.LargeBinary()),
    )
    products = sa.table(
        "products",
        sa.column("id", sa.Integer()),
        sa.column("manufacturer_id", sa.Integer()),
        sa.column("slug", sa.String()),
    )
    makers = sa.table(
        "manufacturers", sa.column("id", sa.Integer()), sa.column("name", sa.String())
    )
    rows = bind.execute(
        sa.select(firmware.c.id, makers.c.name, products.c.slug, firmware.c.version)
        .join(products, products.c.id == firmware.c.product_id)
        .join(makers, makers.c.id == products.c.manufacturer_id)
    ).all()
    for row_id, maker, slug, version in rows:
        bind.execute(
            firmware.update()
            .where(firmware.c.id == row_id)
            .values(listing_key=listing_key(maker, slug, version))
        )


def downgrade() -> None:
    op.drop_index("ix_components_cpe", table_name="components")
    op.drop_index("ix_firmware_listing_key", table_name="firmware")
    op.drop_index("ix_vulnerabilities_search", table_name="vulnerabilities")
    op.drop_index("ix_vulnerabilities_kev", table_name="vulnerabilities")
    op.drop_index("ix_firmware_latest_assessment_id", table_name="firmware")
    op.execute("ALTER TABLE firmware DROP COLUMN listing_key")
    op.execute("ALTER TABLE firmware DROP COLUMN latest_assessment_id")
