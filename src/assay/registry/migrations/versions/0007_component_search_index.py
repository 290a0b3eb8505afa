"""Components get a covering index for portfolio search: (name, assessment_id, version, purl).

"Which firmware carry dnsmasq < 2.78?" then reads the index entries of that name alone, in
order, instead of one table page per component row (10,000 products x 100 components: the
rows of one name are spread over the whole table).

Revision ID: 0007_component_search_index
Revises: 0006_supplier_sbom
"""

from __future__ import annotations

from alembic import op

revision = "0007_component_search_index"
down_revision = "0006_supplier_sbom"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_components_search", "components", ["name", "assessment_id", "version", "purl"]
    )


def downgrade() -> None:
    op.drop_index("ix_components_search", table_name="components")
