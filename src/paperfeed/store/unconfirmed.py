"""Subscriptions never confirmed: an address someone typed into a subscribe form (perhaps not
its owner) is forgotten once its confirmation link has expired, with its queued mail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, func, or_, select

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
    ids = list(conn.scalars(stale.order_by(subscribers.c.id).limit(limit)))
    if ids:
        conn.execute(delete(subscribers).where(subscribers.c.id.in_(ids)))
    return len(ids)
