"""Co-editors of a collection: readers its owner lets put papers in, take them out and write
the notes on them (a reading group's organisers).

Revision ID: 0033
Revises: 0032
"""

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("collection_editors"):  # a store made by this version
        return
    op.create_table(
        "collection_editors",
        sa.Column(
            "collection_id",
            sa.Integer,
            sa.ForeignKey("collections.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_collection_editors_user", "collection_editors", ["user_id"])


def downgrade() -> None:
    op.drop_table("collection_editors")
