"""Self-assessment jobs (``assay.web.selfassess``): an upload from the free self-assessment
page, its progress and its result, kept here so that jobs survive a restart of the server.

The key is the SHA-256 of the private link's token (the token itself is never stored).

Revision ID: 0005_selfassess
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_selfassess"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "selfassess_jobs",
        sa.Column("key_sha256", sa.String(64), primary_key=True),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),  # queued|running|done|failed
        sa.Column("stage", sa.String(300), nullable=False, server_default=""),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("spool", sa.Text(), nullable=False, server_default=""),
        sa.Column("document", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("published", sa.String(400), nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_table("selfassess_jobs")
