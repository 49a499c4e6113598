"""Remember, per subscriber, up to when stored papers were read for their latest digest.

A digest covered listing days; papers added to those days afterwards (a late harvest, an
ingest killed half-way through a day and resumed after the digest ran) reached no digest.
`stored_until` is the moment the latest digest read the store: papers first stored since,
on a day it already covered, go in the next one. NULL (every subscriber now): none yet.

Revision ID: 0036
Revises: 0035
"""

import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("digest_subscribers")}
    if "stored_until" not in columns:  # a store this version made (0004 creates the tables)
        op.add_column("digest_subscribers", sa.Column("stored_until", sa.DateTime))


def downgrade() -> None:
    # Not a batch: SQLite's copy of the table would drop the old one, and with it (ON DELETE
    # CASCADE) every subscriber's outbox and sent-paper record. SQLite 3.35+ drops a column.
    op.execute("ALTER TABLE digest_subscribers DROP COLUMN stored_until")
