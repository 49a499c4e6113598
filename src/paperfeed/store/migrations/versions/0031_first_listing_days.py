"""Listing days for harvested papers stored without one.

Papers harvested long after their announcement (a backfill, a harvest resumed after weeks, a
paper replaced since) were stored without a listing day before harvests gave them one, so no
daily page showed them until harvested again. Each harvested or snapshot arXiv paper without a
day now gets the day of the first announcement after its first version, by arXiv's schedule, as
a harvest gives it (`dates.announced_on`); a paper with a day keeps it, and a day still to come
is left to the harvest. Digests carry no paper on a day they already covered (their window
starts after it), so none of these reaches anyone on a day sent, and none goes twice. Read in
batches; running it again changes nothing.

Revision ID: 0031
Revises: 0030
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from paperfeed.arxiv_ids import first_listing_day
from paperfeed.models import LOCAL_PREFIX

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

BATCH = 2000
HARVESTED = ("oai", "snapshot")  # as `ingest.dates.announced_on`
papers = sa.table(
    "papers",
    sa.column("id", sa.String),
    sa.column("published", sa.DateTime),
    sa.column("source", sa.String),
    sa.column("listing_date", sa.Date),
    sa.column("fingerprint", sa.String),
)


def upgrade() -> None:
    conn = op.get_bind()
    today = datetime.now(UTC).date()
    undated = (
        papers.c.listing_date.is_(None),
        papers.c.published.is_not(None),
        papers.c.source.in_(HARVESTED),
    )
    query = sa.select(papers.c.id, papers.c.published).where(*undated).order_by(papers.c.id)
    write = (
        sa.update(papers)
        .where(papers.c.id == sa.bindparam("b_id"), papers.c.listing_date.is_(None))
        # the stored digest of the paper no longer matches: the next import re-stamps it
        .values(listing_date=sa.bindparam("b_day"), fingerprint=None)
    )
    rows = conn.execute(query.limit(BATCH)).all()
    while rows:
        days = [
            {"b_id": r.id, "b_day": day}
            for r in rows
            if not r.id.startswith(LOCAL_PREFIX)
            and (day := first_listing_day(r.published)) <= today
        ]
        if days:
            conn.execute(write, days)
        last = papers.c.id > rows[-1].id
        rows = conn.execute(query.where(last).limit(BATCH)).all() if len(rows) == BATCH else []


def downgrade() -> None:
    """Nothing to undo: older code shows a paper on the day it has, as harvests now give it."""
