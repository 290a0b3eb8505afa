"""Products get their suppliers' SBOMs: ``supplier_sboms`` keeps each SBOM as uploaded, the
firmware it describes, and its comparison with that firmware's assessment.

Revision ID: 0006_supplier_sbom
Revises: 0005_selfassess
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_supplier_sbom"
down_revision = "0005_selfassess"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "supplier_sboms",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("product_id", sa.Integer(), sa.ForeignKey("products.id"), nullable=False),
        sa.Column("firmware_id", sa.Integer(), sa.ForeignKey("firmware.id"), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("format", sa.String(40), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("comparison", sa.JSON(), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_supplier_sboms_product_id", "supplier_sboms", ["product_id"])
    op.create_index("ix_supplier_sboms_firmware_id", "supplier_sboms", ["firmware_id"])


def downgrade() -> None:
    op.drop_index("ix_supplier_sboms_firmware_id", "supplier_sboms")
    op.drop_index("ix_supplier_sboms_product_id", "supplier_sboms")
    op.drop_table("supplier_sboms")
