"""Listing days as ingest now gives them, for papers stored before.

Harvested papers (OAI-PMH, what the daily pipeline runs) had no listing day, so a store fed
by `harvest` showed none of them on its daily pages or in digests. A harvested paper first
seen within a week of its announcement, as a daily or weekly harvest sees a new paper, is
listed on that announcement: the first arXiv mailing after its first version was submitted
(14:00 US Eastern on weekdays; mailed Sunday to Thursday evenings and dated the next day,
as OAI stamps them), never after the day it was harvested. Papers harvested later (history,
replacements) keep no day, as a harvest of their records now mostly gives them none: such a
record is stamped by its latest change.

A listing's old paper (its id two months or more before the listing day: a replacement or
cross-list) was dated by that listing, and merging keeps the earliest day, so ingesting the
listing again never corrected it: that day goes. Hugging Face's days (sources hf and page)
date old papers too, rightly, and are kept.

One pass over the papers in id order, in batches; changed papers get a new change stamp (the
search indexes re-read them) and no fingerprint. It runs in the upgrade's one transaction: a
killed upgrade leaves the store as it was, and running it again changes nothing more.

Revision ID: 0021
Revises: 0020
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from paperfeed.arxiv_ids import new_that_day
from paperfeed.util import utcnow

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

BATCH = 5000
HARVEST_LAG = timedelta(days=7)  # a paper first seen later than this was not harvested as new
CUTOFF = time(14)  # arXiv's daily submission deadline, US Eastern
HF_SOURCES = ("hf", "page")
papers = sa.table(
    "papers",
    sa.column("id", sa.String),
    sa.column("source", sa.String),
    sa.column("published", sa.DateTime),
    sa.column("first_seen", sa.DateTime),
    sa.column("listing_date", sa.Date),
    sa.column("changed_at", sa.DateTime),
    sa.column("fingerprint", sa.String),
)


def upgrade() -> None:
    conn = op.get_bind()
    t, zone, now = papers, ZoneInfo("America/New_York"), utcnow()
    query = (
        sa.select(t.c.id, t.c.source, t.c.published, t.c.first_seen, t.c.listing_date)
        .order_by(t.c.id)
        .limit(BATCH)
    )
    write = (
        sa.update(t)
        .where(t.c.id == sa.bindparam("b_id"))
        .values(listing_date=sa.bindparam("b_day"), changed_at=now, fingerprint=None)
    )
    rows = conn.execute(query).all()
    while rows:
        found = [
            {"b_id": r.id, "b_day": day} for r in rows if (day := _day(r, zone)) != r.listing_date
        ]
        if found:
            conn.execute(write, found)
        rows = conn.execute(query.where(t.c.id > rows[-1].id)).all() if len(rows) == BATCH else []


def downgrade() -> None:
    """Nothing to undo: these days are what any revision's code can show."""


def _day(r: Any, zone: ZoneInfo) -> date | None:
    """The paper's listing day as ingest now gives it."""
    day: date | None = r.listing_date
    if day is not None and r.source not in HF_SOURCES and not new_that_day(r.id, day):
        day = None  # an old paper a listing re-announced
    if day is None and r.source == "oai" and r.published is not None:
        return _harvested_new(r.published, r.first_seen, zone)
    return day


def _harvested_new(published: datetime, first_seen: datetime, zone: ZoneInfo) -> date | None:
    """The announcement of a paper harvested as new, else None."""
    day = _mailing(published, zone)
    if first_seen.date() - day > HARVEST_LAG:
        return None
    return max(min(day, first_seen.date()), published.date())


def _mailing(submitted: datetime, zone: ZoneInfo) -> date:
    """The day of the arXiv listing that first announces a paper submitted then (naive UTC)."""
    local = submitted.replace(tzinfo=UTC).astimezone(zone)
    day = local.date() + timedelta(days=1) if local.time() >= CUTOFF else local.date()
    while day.weekday() >= 5:  # no deadline on weekends
        day += timedelta(days=1)
    # Mailed that evening and dated the next day; a Friday's deadline is mailed on Sunday.
    return day + timedelta(days=3 if day.weekday() == 4 else 1)
