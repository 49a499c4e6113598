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

from paperfeed.store.papers.venue_labels import read_venues_again

revision = "0051"
down_revision = "0050"
branch_labels = None
depends_on = None


def upgrade() -> None:
    read_venues_again(op.get_bind())
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
