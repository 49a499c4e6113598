"""Rate-limited events (sign-ups, submissions, comments per address), counted in the store so
that every worker and node of a site counts the same ones: N processes do not allow N times
the limit.

Migration 0024 creates the table. Each event is one row: its key (a SHA-256 digest, one size
whatever a client sends), when it happened, and when it stops counting; rows past that go as new
ones come, so the table holds at most one window of each limit's events.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    delete,
    func,
    insert,
    select,
)

from paperfeed.store.sign_ins import Tally, key_digest
from paperfeed.store.tables import metadata

rate_limit_events = Table(
    "rate_limit_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False),  # sha256 hex of the limit's key
    Column("at", DateTime, nullable=False),
    Column("expires", DateTime, nullable=False),  # when it no longer counts: pruned
    Index("ix_rate_limit_events_key_at", "key", "at"),  # the count
    Index("ix_rate_limit_events_expires", "expires"),  # the pruning
)


def record_event(conn: Connection, key: str, now: datetime, expires: datetime) -> int:
    """Forget events that no longer count, and record one under `key`; its row id."""
    t = rate_limit_events
    conn.execute(delete(t).where(t.c.expires <= now))
    row = {"key": key_digest(key), "at": now, "expires": expires}
    return int(conn.execute(insert(t).returning(t.c.id), row).scalar_one())


def count_events(conn: Connection, key: str, cutoff: datetime) -> Tally | None:
    """The key's events after `cutoff`, and the oldest of them (None: there are none)."""
    t = rate_limit_events
    query = select(func.count(), func.min(t.c.at)).where(
        t.c.key == key_digest(key), t.c.at > cutoff
    )
    count, oldest = conn.execute(query).one()
    return Tally(int(count), oldest) if count else None


def remove_event(conn: Connection, event_id: int) -> None:
    """Take back an event that turned out not to count."""
    conn.execute(delete(rate_limit_events).where(rate_limit_events.c.id == event_id))
