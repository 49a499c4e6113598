"""Which reply a reply to a reply answered.

A reply to a reply joins its top comment's thread (`parent_id`), so once stored nothing said
whose reply it answered: a held one approved later told the top comment's author "reply to
you" and the answered reply's author only of a reply in the thread. `comments.answered_id`
keeps that reply. Earlier comments have none (a held one approved later is told as before).
Running it again changes nothing.

Revision ID: 0042
Revises: 0041
"""

import sqlalchemy as sa
from alembic import op

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("comments")}
    if "answered_id" not in columns:  # a store this version made (its tables from the schema)
        op.add_column("comments", sa.Column("answered_id", sa.Integer))


def downgrade() -> None:
    # Not a batch: SQLite's copy of the table would drop the old one, and with it (ON DELETE
    # CASCADE) every comment's votes, reports and replies. SQLite 3.35+ drops a column.
    op.execute("ALTER TABLE comments DROP COLUMN answered_id")
