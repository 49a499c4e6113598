"""When a paper was put on its listing day, and when an ingest run began.

A digest's mark (`digest_subscribers.stored_until`, 0036) is compared with `papers.listed_at`:
a paper first stored with no day and given a covered day later, or moved to an earlier day,
is new there from then on. Papers on a day now count from their first storing. `job_locks`
keeps when a lock was taken (`taken_at`): a digest read while an ingest still stored papers
marks from that run's start. Running it again changes nothing.

Revision ID: 0041
Revises: 0040
"""

import sqlalchemy as sa
from alembic import op

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if "listed_at" not in {c["name"] for c in inspector.get_columns("papers")}:
        op.add_column("papers", sa.Column("listed_at", sa.DateTime))
    if "taken_at" not in {c["name"] for c in inspector.get_columns("job_locks")}:
        op.add_column("job_locks", sa.Column("taken_at", sa.DateTime))
    op.execute(
        "UPDATE papers SET listed_at = first_seen"
        " WHERE listed_at IS NULL AND listing_date IS NOT NULL"
    )


def downgrade() -> None:
    # Not a batch: SQLite's copy of papers would drop the old table, and with it (ON DELETE
    # CASCADE) every paper's versions, authors and votes. SQLite 3.35+ drops a column.
    op.execute("ALTER TABLE papers DROP COLUMN listed_at")
    op.execute("ALTER TABLE job_locks DROP COLUMN taken_at")
