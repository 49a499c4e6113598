"""Each stored paper's venue read again, now that more conferences are known by name.

The venue reading (`venues.stored_venue`) learnt conferences written in several words or ways
("ACM MM 2026", "ACMMM 2026", "SIGGRAPH Asia 2025", "IJCNLP-AACL 2025", "The ACM Web
Conference 2026", "ECML-PKDD 2025") and ten more acronyms. Every stored paper with a comment or
journal reference is read again, in batches of its id order, and only those whose label
changes are written. The venues' index takes the paper's id too, so that a search within a
conference reads the conference's papers from the index alone (24 ms for 11,531 papers at a
million, 6 ms with it: bench/RESULTS.md, "Search within a conference"), and holds only the
papers naming a venue (one in nine), so that the others' inserts skip it. Nothing else of a paper changes (its
change time stays, so the search indexes are not refreshed). Going down leaves the labels (0050's column keeps them, and the
older reading would only forget some) and puts 0050's index back.

Revision ID: 0051
Revises: 0050
"""

import sqlalchemy as sa
from alembic import op

from paperfeed.venues import stored_venue

revision = "0051"
down_revision = "0050"
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
    said = sa.or_(papers.c.comments.is_not(None), papers.c.journal_ref.is_not(None))
    query = sa.select(papers.c.id, papers.c.comments, papers.c.journal_ref, papers.c.venue)
    query = query.where(said)
    write = sa.update(papers).where(papers.c.id == sa.bindparam("b_id"))
    rows = conn.execute(query.order_by(papers.c.id).limit(BATCH)).all()
    while rows:
        changed = [
            {"b_id": r.id, "b_venue": venue}
            for r in rows
            if (venue := stored_venue(r.journal_ref, r.comments)) != r.venue
        ]
        if changed:
            conn.execute(write.values(venue=sa.bindparam("b_venue")), changed)
        after = query.where(papers.c.id > rows[-1].id).order_by(papers.c.id).limit(BATCH)
        rows = conn.execute(after).all() if len(rows) == BATCH else []
    op.drop_index("ix_papers_venue", table_name="papers")
    named = sa.text("venue IS NOT NULL")
    op.create_index(
        "ix_papers_venue",
        "papers",
        ["venue", "hidden", "id"],
        sqlite_where=named,
        postgresql_where=named,
    )


def downgrade() -> None:
    # The labels stay (0050's downgrade drops the column); the index is 0050's again.
    op.drop_index("ix_papers_venue", table_name="papers")
    op.create_index("ix_papers_venue", "papers", ["venue", "hidden"])
