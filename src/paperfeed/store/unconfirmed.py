"""Subscriptions never confirmed or ended: an address someone typed into a subscribe form
(perhaps not its owner) is forgotten once its confirmation link has expired, and an address
that unsubscribed once its grace period is over, each with its interests and mail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Select, delete, exists, func, or_, select, true

from paperfeed.store.digest_tables import outbox, subscribers


def forget_unconfirmed(conn: Connection, asked_before: datetime, limit: int) -> int:
    """Delete at most `limit` subscriptions still pending whose last confirmation mail was
    queued before `asked_before` (their interests, mail and sent lists by cascade); how many."""
    last_asked = (
        select(func.max(outbox.c.created_at))
        .where(outbox.c.subscriber_id == subscribers.c.id, outbox.c.kind == "confirm")
        .scalar_subquery()
    )
    stale = select(subscribers.c.id).where(
        subscribers.c.status == "pending",
        subscribers.c.created_at < asked_before,
        or_(last_asked.is_(None), last_asked < asked_before),
    )
    return _forget(conn, stale, limit)


def forget_unsubscribed(conn: Connection, left_before: datetime, limit: int) -> int:
    """Delete at most `limit` subscriptions that unsubscribed before `left_before`, with their
    address, interests, mail and sent lists (by cascade); one with a message still queued or
    being sent waits for the next run. How many."""
    busy = exists().where(
        outbox.c.subscriber_id == subscribers.c.id, outbox.c.status.in_(("pending", "sending"))
    )
    left = select(subscribers.c.id).where(
        subscribers.c.status == "unsubscribed",
        or_(subscribers.c.unsubscribed_at < left_before, subscribers.c.unsubscribed_at.is_(None)),
        ~busy,
    )
    return _forget(conn, left, limit)


def _forget(conn: Connection, found: Select[tuple[int]], limit: int) -> int:
    ids = list(conn.scalars(found.order_by(subscribers.c.id).limit(limit)))
    if not ids:
        return 0
    # Checked again as it deletes: one subscribed again or confirmed since it was found stays.
    still = found.whereclause if found.whereclause is not None else true()
    return conn.execute(delete(subscribers).where(subscribers.c.id.in_(ids), still)).rowcount
