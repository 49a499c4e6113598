"""Comments held for a moderator's review.

A wave of link spam in comments reached every reader: only a new account's links were made
unclickable. A comment with many links, or with any link from a new account, is now stored
`held`: its author and moderators see it until a moderator approves it. Existing comments are
not held. Running it again changes nothing.

Revision ID: 0039
Revises: 0038
"""

import sqlalchemy as sa
from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("comments")}
    if "held" not in columns:  # a store this version made (its tables come from the schema)
        held = sa.Column("held", sa.Boolean, nullable=False, server_default=sa.false())
        op.add_column("comments", held)


def downgrade() -> None:
    # Not a batch: SQLite's copy of the table would drop the old one, and with it (ON DELETE
    # CASCADE) every comment's votes, reports and replies. SQLite 3.35+ drops a column.
    op.execute("ALTER TABLE comments DROP COLUMN held")
