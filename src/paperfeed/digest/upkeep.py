"""Outbox upkeep: the text of sent emails is cleared once it is PAPERFEED_OUTBOX_KEEP_DAYS old,
an address never confirmed is forgotten once its confirmation link has expired, and one that
unsubscribed a week after it left.

A year of daily digests to 100 k readers is 36 M bodies; what keeps a reader from getting a
period or a paper twice (the outbox rows, digest_sent_papers) stays.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine

from paperfeed.digest.tokens import MAX_AGE
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store.unconfirmed import forget_unconfirmed, forget_unsubscribed

BATCH = 1000  # messages cleared per transaction: SQLite's write lock is held briefly
PER_RUN = 20  # batches a digest run clears after sending: a backlog spreads over the runs
# How long an unsubscribed address is kept: subscribing again within it picks up where the
# digest left off (no paper sent twice); after it the address, interests and mail are deleted.
LEFT_KEEP = timedelta(days=7)


def prune_outbox(
    engine: Engine,
    settings: Settings,
    now: datetime | None = None,
    batches: int | None = None,
    batch: int = BATCH,
) -> int:
    """Clear the text of messages sent (or dropped unsent) over outbox_keep_days before `now`,
    `batch` messages a transaction, at most `batches` transactions (None: until none is left);
    returns how many. Queued and failed messages keep theirs."""
    if settings.outbox_keep_days == 0:
        return 0
    before = _utc(now) - timedelta(days=settings.outbox_keep_days)
    cleared = done = 0
    while batches is None or done < batches:
        with engine.begin() as conn:
            found = db.prune_sent(conn, before, batch)
        cleared, done = cleared + found, done + 1
        if found < batch:
            break
    return cleared


def forget_unconfirmed_addresses(
    engine: Engine, now: datetime | None = None, batch: int = BATCH
) -> int:
    """Delete the subscriptions whose confirmation link expired unfollowed (an address typed
    by someone else is not kept), `batch` a transaction; returns how many."""
    before = _utc(now) - MAX_AGE["confirm"]
    return _in_batches(engine, lambda conn: forget_unconfirmed(conn, before, batch), batch)


def forget_left_addresses(engine: Engine, now: datetime | None = None, batch: int = BATCH) -> int:
    """Delete the subscriptions that unsubscribed over LEFT_KEEP ago, their address with them,
    `batch` a transaction; returns how many."""
    before = _utc(now) - LEFT_KEEP
    return _in_batches(engine, lambda conn: forget_unsubscribed(conn, before, batch), batch)


def _utc(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)


def _in_batches(engine: Engine, step: Callable[[Connection], int], batch: int) -> int:
    done = 0
    while True:
        with engine.begin() as conn:
            found = step(conn)
        done += found
        if found < batch:
            return done
