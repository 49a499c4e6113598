"""Sections of a collection: headings in an order of their own, each paper under one or none.

A workshop's accepted papers, pasted with their programme's headings ("Oral 1: Retrieval"),
lost them: a collection was one flat list. `collection_sections` keeps a collection's headings
and their order; `collection_items.section_id` the one a paper is listed under (none for every
paper a collection already held, so existing collections look as they did). Running it again
changes nothing.

Revision ID: 0047
Revises: 0046
"""

import sqlalchemy as sa
from alembic import op

revision = "0047"
down_revision = "0046"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("collection_sections"):  # else a store this version made
        op.create_table(
            "collection_sections",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column(
                "collection_id",
                sa.Integer,
                sa.ForeignKey("collections.id", ondelete="CASCADE"),
                nullable=False,
            ),
            sa.Column("title", sa.String(200), nullable=False),
            sa.Column("position", sa.Integer, nullable=False),
            sa.Column("created_at", sa.DateTime, nullable=False),
        )
        op.create_index(
            "ix_collection_sections_collection",
            "collection_sections",
            ["collection_id", "position"],
        )
    columns = {c["name"] for c in inspector.get_columns("collection_items")}
    if "section_id" not in columns:
        op.add_column("collection_items", sa.Column("section_id", sa.Integer))


def downgrade() -> None:
    # Not a batch: SQLite's copy of the table would drop the old one, and with it (ON DELETE
    # CASCADE) what refers to it. SQLite 3.35+ drops a column.
    op.execute("ALTER TABLE collection_items DROP COLUMN section_id")
    op.drop_table("collection_sections")
