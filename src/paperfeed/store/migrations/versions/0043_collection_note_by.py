"""Who wrote a collection's note on a paper, and when.

Editors of a shared list overwrote each other's notes on its papers with no trace, and two
saving one note at once lost the first. `collection_items.note_by` and `note_at` keep who last
wrote the note and when; `note_version` counts its saves, so a save started from an older one
is refused rather than overwriting it. Earlier notes have neither (version 0). Running it
again changes nothing.

Revision ID: 0043
Revises: 0042
"""

import sqlalchemy as sa
from alembic import op

revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    columns = {c["name"] for c in sa.inspect(conn).get_columns("collection_items")}
    if "note_by" not in columns:  # a store this version made (its tables from the schema)
        op.add_column("collection_items", sa.Column("note_by", sa.Integer))  # a users.id
    if "note_at" not in columns:
        op.add_column("collection_items", sa.Column("note_at", sa.DateTime))
    if "note_version" not in columns:
        version = sa.Column("note_version", sa.Integer, nullable=False, server_default="0")
        op.add_column("collection_items", version)


def downgrade() -> None:
    # Not a batch: SQLite's copy of the table would drop the old one, and with it (ON DELETE
    # CASCADE) what refers to it. SQLite 3.35+ drops a column.
    for column in ("note_version", "note_at", "note_by"):
        op.execute(f"ALTER TABLE collection_items DROP COLUMN {column}")
