"""When a signed-in reader last looked, so that listings can mark the papers listed since."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import Connection, select, update

from paperfeed.store.accounts import User, users
from paperfeed.store.clock import store_now
from paperfeed.store.sql import in_list
from paperfeed.store.tables import papers
from paperfeed.util import utcnow

# Page views less than this apart are one visit: "New" stays on what it marked at its start.
VISIT_GAP = timedelta(minutes=30)


def visit_due(user: User, now: datetime | None = None) -> bool:
    """Whether a page view now begins a new visit (the last began over VISIT_GAP ago)."""
    return user.last_visit is None or (now or utcnow()) - user.last_visit > VISIT_GAP


def record_visit(conn: Connection, user: User, now: datetime | None = None) -> User:
    """Note a page view of the reader: one UPDATE when it begins a new visit (the last one
    becomes the previous), none otherwise; the user as the page then sees them."""
    if not visit_due(user, now):
        return user
    stamp = now or store_now(conn)  # the clock papers' `listed_at` is stamped with
    # The same visit's other requests, run at once, find it recorded and change nothing.
    fresh = users.c.last_visit_at.is_(None) | (users.c.last_visit_at < stamp - VISIT_GAP)
    query = update(users).where(users.c.id == user.id, fresh)
    conn.execute(query.values(previous_visit_at=users.c.last_visit_at, last_visit_at=stamp))
    return replace(user, last_visit=stamp, previous_visit=user.last_visit)


def listed_since(conn: Connection, ids: Sequence[str], since: datetime | None) -> set[str]:
    """Which of these papers were put on their listing day after `since` (None: none)."""
    if since is None or not ids:
        return set()
    listed = in_list(papers.c.id, conn.dialect.name, values=list(ids))
    return set(conn.scalars(select(papers.c.id).where(listed, papers.c.listed_at > since)))
