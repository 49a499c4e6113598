"""Each stored paper's venue read again, now that a track named before the year is read.

The venue reading (`venues.stored_venue`) learnt a conference's track written between its name
and its year: "ACL Findings 2025", "CVPR Findings 2026", "NAACL SRW 2025" (a student research
workshop), "CVPR EgoVis Workshop 2025", "KDD workshop 2024". Of the 74,728 real papers, 166
more name a venue this way (8,812 in all); no label read before changes. Every stored paper with
a comment or journal reference is read again (`read_venues_again`: in batches, only changed
labels written, change times kept so the search indexes are not refreshed). Going down leaves
the labels: the older reading would only forget them.

Revision ID: 0052
Revises: 0051
"""

from alembic import op

from paperfeed.store.papers.venue_labels import read_venues_again

revision = "0052"
down_revision = "0051"
branch_labels = None
depends_on = None


def upgrade() -> None:
    read_venues_again(op.get_bind())


def downgrade() -> None:
    pass  # the labels stay (0050's downgrade drops the column)
