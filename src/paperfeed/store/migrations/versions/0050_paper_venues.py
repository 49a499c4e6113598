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

from paperfeed.venues import stored_venue

revision = "0050"
down_revision = "0049"
branch_labels = None
depends_on = None

BATCH = 5000
papers = sa.table(
    "papers",
    sa.column("id", sa.String),
    sa.column("comments", sa.Text),
    sa.column("journal_ref", sa.Text),
    sa.column("venue", sa.String),
)


def upgrade() -> None:
    conn = op.get_bind()
    inspector = sa.inspect(conn)
    if "venue" not in {c["name"] for c in inspector.get_columns("papers")}:
        op.add_column("papers", sa.Column("venue", sa.String(64)))
    said = sa.or_(papers.c.comments.is_not(None), papers.c.journal_ref.is_not(None))
    query = sa.select(papers.c.id, papers.c.comments, papers.c.journal_ref).where(said)
    write = sa.update(papers).where(papers.c.id == sa.bindparam("b_id"))
    rows = conn.execute(query.order_by(papers.c.id).limit(BATCH)).all()
    while rows:
        found = [
            {"b_id": r.id, "b_venue": venue}
            for r in rows
            if (venue := stored_venue(r.journal_ref, r.comments)) is not None
        ]
        if found:
            conn.execute(write.values(venue=sa.bindparam("b_venue")), found)
        after = query.where(papers.c.id > rows[-1].id).order_by(papers.c.id).limit(BATCH)
        rows = conn.execute(after).all() if len(rows) == BATCH else []
    if "ix_papers_venue" not in {i["name"] for i in inspector.get_indexes("papers")}:
        op.create_index("ix_papers_venue", "papers", ["venue", "hidden"])


def downgrade() -> None:
    op.drop_index("ix_papers_venue", table_name="papers")
    # Not a batch: SQLite's copy of papers would drop the old table, and with it (ON DELETE
    # CASCADE) every paper's versions, authors and votes. SQLite 3.35+ drops a column.
    op.execute("ALTER TABLE papers DROP COLUMN venue")
