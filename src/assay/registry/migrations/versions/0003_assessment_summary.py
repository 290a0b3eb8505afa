"""Assessments get ``summary``: the document without component details, match reasons and
finding evidence (what the product page and the label read).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from assay.registry.summary import summarize

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.add_column(sa.Column("summary", sa.JSON(), nullable=True))
    table = sa.table(
        "assessments",
        sa.column("id", sa.Integer()),
        sa.column("document", sa.JSON()),
        sa.column("summary", sa.JSON()),
    )
    bind = op.get_bind()
    for row_id, document in bind.execute(sa.select(table.c.id, table.c.document)).all():
        bind.execute(
            table.update()
            .where(table.c.id == row_id)
            .values(summary=summarize(document if isinstance(document, dict) else {}))
        )


def downgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.drop_column("summary")
