"""Each stored paper's venue read again, now that a conference's challenges are a track of it.

The venue reading (`venues.stored_venue`) now reads a report from a challenge or competition held
at a conference as that conference's "Challenge" track ("CVPR 2026 SoccerNet Challenge, Rank 1":
"CVPR 2026 Challenge"), no longer as its main track, and reads no venue from a tutorial, a PhD
symposium or doctoral consortium, or AAAI's spring and fall symposia ("Accepted to EMNLP 2025
Tutorial"). A conference named before "co-located with" another is that event, not a workshop
("CoNLL 2026, colocated with ACL 2026": CoNLL 2026), and "collocated" is read as "co-located".
Of the 74,728 real papers, 59 move to a conference's challenges, 12 name no venue any more and
2 change track; nothing else changes. Every stored paper with a comment or journal reference is read
again (`read_venues_again`: in batches, only changed labels written, change times kept so the
search indexes are not refreshed). Going down leaves the labels.

Revision ID: 0054
Revises: 0053
"""

from alembic import op

from paperfeed.store.papers.venue_labels import read_venues_again

revision = "0054"
down_revision = "0053"
branch_labels = None
depends_on = None


def upgrade() -> None:
    read_venues_again(op.get_bind())


def downgrade() -> None:
    pass  # the labels stay (0050's downgrade drops the column)
