"""Each stored paper's venue read again, when the reading learns more ways papers name one: the
work of the migrations that follow such a change."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from paperfeed.venues import said_on, stored_venue

# The columns read and written, as a migration sees them (not `tables.py`, which may grow).
_papers = sa.table(
    "papers",
    sa.column("id", sa.String),
    sa.column("comments", sa.Text),
    sa.column("journal_ref", sa.Text),
    sa.column("venue", sa.String),
    sa.column("published", sa.DateTime),
    sa.column("updated", sa.DateTime),
    sa.column("listing_date", sa.Date),
)


def read_venues_again(conn: Connection, batch: int = 5000) -> int:
    """Read every stored paper's venue again (`venues.stored_venue`), in batches of its id
    order, and write only the labels that change; the papers' change times stay, so the
    search indexes are not refreshed. Returns how many papers changed."""
    said = sa.or_(_papers.c.comments.is_not(None), _papers.c.journal_ref.is_not(None))
    query = sa.select(
        *(_papers.c[n] for n in ("id", "comments", "journal_ref", "venue")),
        *(_papers.c[n] for n in ("published", "updated", "listing_date")),
    )
    query = query.where(said)
    write = sa.update(_papers).where(_papers.c.id == sa.bindparam("b_id"))
    rows = conn.execute(query.order_by(_papers.c.id).limit(batch)).all()
    changed = 0
    while rows:
        news = [
            {"b_id": r.id, "b_venue": venue}
            for r in rows
            if (venue := stored_venue(r.journal_ref, r.comments, _said(r))) != r.venue
        ]
        if news:
            conn.execute(write.values(venue=sa.bindparam("b_venue")), news)
            changed += len(news)
        after = query.where(_papers.c.id > rows[-1].id).order_by(_papers.c.id).limit(batch)
        rows = conn.execute(after).all() if len(rows) == batch else []
    return changed


def _said(row: sa.Row[Any]) -> date | None:
    """The day a stored paper said where it appears (`venues.said_on`)."""
    return said_on(row.published, row.updated, row.listing_date)
