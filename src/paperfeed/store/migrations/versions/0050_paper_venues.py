"""The conference each paper says it is at (`papers.venue`), for the conference pages.

The label `venues.stored_venue` reads from a paper's journal reference or arXiv comment ("ICML
2026", "Findings of ACL 2026", "CVPR 2026 Workshop"; NULL: none), written with the paper from now
on. Here every stored paper with a comment or journal reference is read once, in batches of its
id order, and only the papers naming a venue (about one in ten) are written; the index (venue
and hidden: the conferences page counts from it alone) comes after, built once. Nothing else of a paper changes (its change time stays, so the search indexes
are not refreshed). Running it again changes nothing.

Revision ID: 0050
Revises: 0049
"""

import sqlalchemy as sa
from alembic import op

from paperfeed.store.papers.venue_labels import read_venues_again

revision = "0050"
down_revision = "0049"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    inspector = sa.inspect(conn)
    if "venue" not in {c["name"] for c in inspector.get_columns("papers")}:
        op.add_column("papers", sa.Column("venue", sa.String(64)))
    read_venues_again(conn)
    if "ix_papers_venue" not in {i["name"] for i in inspector.get_indexes("papers")}:
        op.create_index("ix_papers_venue", "papers", ["venue", "hidden"])


def downgrade() -> None:
    op.drop_index("ix_papers_venue", table_name="papers")
    # Not a batch: SQLite's copy of papers would drop the old table, and with it (ON DELETE
    # CASCADE) every paper's versions, authors and votes. SQLite 3.35+ drops a column.
    op.execute("ALTER TABLE papers DROP COLUMN venue")
