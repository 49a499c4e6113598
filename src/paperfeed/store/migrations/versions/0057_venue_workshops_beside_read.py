"""Each stored paper's venue read again, now that a workshop named in another sentence of the
comment makes it the conference's workshop ("ICCV 2025; OpenSUN3D Workshop", "Second Workshop on
Test-Time Adaptation! at ICML 2025", "ECCV 2024. Workshop page: …"): these were read as the
main conference. A sentence naming another conference's workshop, or an earlier paper's, does
not count. Of the 74,728 real papers, 9 move to a conference's workshops; nothing else changes.
Every stored paper with a comment or journal reference is read again (`read_venues_again`: in
batches, only changed labels written, change times kept so the search indexes are not
refreshed). Going down leaves the labels.

Revision ID: 0057
Revises: 0056
"""

from alembic import op

from paperfeed.store.papers.venue_labels import read_venues_again

revision = "0057"
down_revision = "0056"
branch_labels = None
depends_on = None


def upgrade() -> None:
    read_venues_again(op.get_bind())


def downgrade() -> None:
    pass  # the labels stay (0050's downgrade drops the column)
