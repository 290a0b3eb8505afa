"""Assessments get ``brief``: what the product page reads, the summary with its matches cut to
the ids (aliases, KEV flag of the scan) of those that count (``summary.brief``). The summary
of the bundled OpenWrt image is ~280 KB, ~240 KB of it matches that the page only counts;
parsing it was the largest part of a page. Existing rows are backfilled from their summary,
a hundred at a time (a registry can hold gigabytes of summaries).

Revision ID: 0009_assessment_brief
Revises: 0008_firmware_latest
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from assay.registry.summary import brief

revision = "0009_assessment_brief"
down_revision = "0008_firmware_latest"
branch_labels = None
depends_on = None
BATCH = 100


def upgrade() -> None:
    # plain ADD/DROP COLUMN as in 0008: a batch copy of the table would trip child tables' keys
    op.add_column("assessments", sa.Column("brief", sa.JSON(), nullable=True))
    table = sa.table(
        "assessments",
        sa.column("id", sa.Integer()),
        sa.column("summary", sa.JSON()),
        sa.column("brief", sa.JSON()),
    )
    bind = op.get_bind()
    ids = list(bind.scalars(sa.select(table.c.id).order_by(table.c.id)))
    for start in range(0, len(ids), BATCH):
        chosen = ids[start : start + BATCH]
        rows = bind.execute(sa.select(table.c.id, table.c.summary).where(table.c.id.in_(chosen)))
        for row_id, summary in rows.all():
            if isinstance(summary, dict):  # no summary: the page makes one from the document
                bind.execute(
                    table.update().where(table.c.id == row_id).values(brief=brief(summary))
                )


def downgrade() -> None:
    op.execute("ALTER TABLE assessments DROP COLUMN brief")
