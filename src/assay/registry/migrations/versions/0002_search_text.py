"""Products get ``search_text``: manufacturer, name, model and hardware version in lower case,
so that a search reads one column of one table.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
    op.execute(
        "UPDATE products SET search_text = lower("
        "(SELECT m.name FROM manufacturers m WHERE m.id = products.manufacturer_id)"
        " || ' ' || name || ' ' || model || ' ' || hardware_version)"
    )


def downgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.drop_column("search_text")
