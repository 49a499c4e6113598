"""The outbox's bookkeeping: pruning and counting it, rate-limit events, the run lock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from paperfeed.store.digest_tables import locks, outbox, rate_events
from paperfeed.util import utcnow

PRUNED = "pruned"  # sent, and its text cleared after outbox_keep_days


def prune_sent(conn: Connection, sent_before: datetime, limit: int) -> int:
    """Clear the text of at most `limit` messages sent before `sent_before` (status pruned),
    then of dropped ones due before it; returns how many. The rows stay: they keep a period
    from being composed again, and the papers they carried (digest_sent_papers) from being
    mailed to the reader again."""
    cleared = _prune_sent(conn, sent_before, limit)
    return cleared + (_prune_dropped(conn, sent_before, limit - cleared) if cleared < limit else 0)


def _prune_sent(conn: Connection, sent_before: datetime, limit: int) -> int:
    old = (
        outbox.c.status == "sent",
        # never after sent_at: bounds the (status, next_attempt_at) index to the old sent rows
        outbox.c.next_attempt_at < sent_before,
        outbox.c.sent_at < sent_before,
    )
    ids = list(conn.execute(select(outbox.c.id).where(*old).limit(limit)).scalars())
    if not ids:
        return 0
    cleared = update(outbox).where(outbox.c.id.in_(ids), outbox.c.status == "sent")
    return int(conn.execute(cleared.values(status=PRUNED, message="", packed=None)).rowcount)


def _prune_dropped(conn: Connection, due_before: datetime, limit: int) -> int:
    """Clear the text of dropped messages (given up, never sent) due before `due_before`; they
    stay dropped, with their reason, so nothing sends them."""
    old = (
        outbox.c.status == "dropped",
        outbox.c.next_attempt_at < due_before,  # the (status, next_attempt_at) index
        or_(outbox.c.message != "", outbox.c.packed.is_not(None)),
    )
    ids = list(conn.execute(select(outbox.c.id).where(*old).limit(limit)).scalars())
    if not ids:
        return 0
    cleared = update(outbox).where(outbox.c.id.in_(ids), outbox.c.status == "dropped")
    return int(conn.execute(cleared.values(message="", packed=None)).rowcount)


def outbox_counts(conn: Connection) -> dict[str, int]:
    """How many outbox rows are in each status."""
    query = select(outbox.c.status, func.count()).group_by(outbox.c.status)
    return {status: n for status, n in conn.execute(query)}


def count_and_record_event(conn: Connection, key: str, window: timedelta) -> int:
    """Record one request under `key`; returns how many were recorded within the window."""
    now = utcnow()
    conn.execute(delete(rate_events).where(rate_events.c.at < now - timedelta(days=1)))
    conn.execute(rate_events.insert().values(key=key, at=now))
    query = select(func.count()).where(rate_events.c.key == key, rate_events.c.at >= now - window)
    return int(conn.execute(query).scalar_one())


# --- the run lock ----------------------------------------------------------------------------


def acquire_lock(
    conn: Connection, name: str, holder: str, ttl: timedelta, stale: Sequence[str]
) -> bool:
    """Take a named lease unless a live holder has it; `stale` lists holders known dead."""
    now = utcnow()
    expired = or_(locks.c.expires_at < now, locks.c.holder.in_(list(stale) or [""]))
    conn.execute(delete(locks).where(and_(locks.c.name == name, expired)))
    try:
        with conn.begin_nested():
            conn.execute(locks.insert().values(name=name, holder=holder, expires_at=now + ttl))
    except IntegrityError:
        return False
    return True


def lock_holder(conn: Connection, name: str) -> str | None:
    """Who holds a named lease now."""
    return conn.execute(select(locks.c.holder).where(locks.c.name == name)).scalar_one_or_none()


def renew_lock(conn: Connection, name: str, holder: str, ttl: timedelta) -> bool:
    """Extend a lease we hold; False when it was taken from us."""
    result = conn.execute(
        update(locks)
        .where(locks.c.name == name, locks.c.holder == holder)
        .values(expires_at=utcnow() + ttl)
    )
    return result.rowcount == 1


def release_lock(conn: Connection, name: str, holder: str) -> None:
    """Give a lease back."""
    conn.execute(delete(locks).where(locks.c.name == name, locks.c.holder == holder))
