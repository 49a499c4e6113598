"""Each stored paper's venue read again, now that more ways of naming a conference are read.

The venue reading (`venues.stored_venue`) learnt a conference named by its full name with the
acronym after it ("Conference on Computer Vision and Pattern Recognition (CVPR) 2026",
"(AAAI), 2026"), its year before it ("2026 IEEE International Symposium on Information Theory
(ISIT)", "the 2025 CVPR FGVC12 workshop"), other ways of writing the year ("AAAI-26", "CVPR'2026",
"ACL 26") or the main track ("ACL (Main) 2026", "EMNLP Main 2025"), a year elsewhere in the
sentence ("Accepted at CVPR Workshop on Driving 2026"), a conference's workshops as one word
("CVPRW 2025"), 31 more conferences (AIED, IGARSS, FAccT, CoNLL, …), and, where the paper's
dates tell when it said so, a conference named with no year at all ("Accepted at ICML" in June
2025: ICML 2025; `venues.said_on`). It also reads a comment arXiv wrapped over several lines as
one sentence, so "submitted to" or "Workshop" on the next line now counts. Of the 74,728 real
papers, 10,101 name a venue (8,812 before): 1,318 more, 90 with a track now read (a workshop's
or Findings), one other changed and 29 no more (a sentence saying "submitted to" or "under
review" over two lines). Every stored paper with a comment or journal reference is read again
(`read_venues_again`: in batches, only changed labels written, change times kept so the search
indexes are not refreshed). Going down leaves the labels.

Revision ID: 0053
Revises: 0052
"""

from alembic import op

from paperfeed.store.papers.venue_labels import read_venues_again

revision = "0053"
down_revision = "0052"
branch_labels = None
depends_on = None


def upgrade() -> None:
    read_venues_again(op.get_bind())


def downgrade() -> None:
    pass  # the labels stay (0050's downgrade drops the column)
