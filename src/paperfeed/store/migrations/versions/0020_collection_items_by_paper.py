"""Collection entries found by paper: a paper's page lists the public collections holding it,
which read every entry without this index.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    indexes = {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("collection_items")}
    if "ix_collection_items_paper" in indexes:  # a store made by this version
        return
    op.create_index("ix_collection_items_paper", "collection_items", ["paper_id"])


def downgrade() -> None:
    op.drop_index("ix_collection_items_paper", table_name="collection_items")
