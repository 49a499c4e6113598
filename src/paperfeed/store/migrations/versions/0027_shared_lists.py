"""Shared collections for a reading group: a public note on each paper of a collection, and
readers following a shared collection (through the link they followed).

Revision ID: 0027
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if "note" not in {c["name"] for c in inspector.get_columns("collection_items")}:
        with op.batch_alter_table("collection_items") as batch:
            batch.add_column(sa.Column("note", sa.Text, nullable=False, server_default=""))
    if inspector.has_table("collection_follows"):  # a store made by this version
        return
    op.create_table(
        "collection_follows",
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "collection_id",
            sa.Integer,
            sa.ForeignKey("collections.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("share_key", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_collection_follows_collection", "collection_follows", ["collection_id"])


def downgrade() -> None:
    op.drop_table("collection_follows")
    with op.batch_alter_table("collection_items") as batch:
        batch.drop_column("note")
