"""Outbox upkeep: the text of sent emails is cleared once it is PAPERFEED_OUTBOX_KEEP_DAYS old,
and an address never confirmed is forgotten once its confirmation link has expired.

A year of daily digests to 100 k readers is 36 M bodies; what keeps a reader from getting a
period or a paper twice (the outbox rows, digest_sent_papers) stays.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from paperfeed.digest.tokens import MAX_AGE
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store.unconfirmed import forget_unconfirmed

BATCH = 1000  # messages cleared per transaction: SQLite's write lock is held briefly
PER_RUN = 20  # batches a digest run clears after sending: a backlog spreads over the runs


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
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    before = moment - timedelta(days=settings.outbox_keep_days)
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
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    before, forgotten = moment - MAX_AGE["confirm"], 0
    while True:
        with engine.begin() as conn:
            found = forget_unconfirmed(conn, before, batch)
        forgotten += found
        if found < batch:
            return forgotten
