"""Assessments get ``provenance`` and ``signed_by``; scanner keys the registry trusts get
``trusted_keys``.

Assessments stored before this revision cannot be told apart from forged ones, so they become
"self-asserted" and lose their level (re-add the image, or a signed assessment, to earn one).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.add_column(
            sa.Column("provenance", sa.String(20), nullable=False, server_default="self-asserted")
        )
        batch.add_column(sa.Column("signed_by", sa.String(64), nullable=False, server_default=""))
    op.create_table(
        "trusted_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key_id", sa.String(64), nullable=False, unique=True),
        sa.Column("public_key", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
    )
    op.execute("UPDATE assessments SET level = 0")
    op.execute("UPDATE products SET level = 0")


def downgrade() -> None:
    op.drop_table("trusted_keys")
    # plain DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch copy of the table would trip the
    # foreign keys of its child tables
    op.execute("ALTER TABLE assessments DROP COLUMN signed_by")
    op.execute("ALTER TABLE assessments DROP COLUMN provenance")
