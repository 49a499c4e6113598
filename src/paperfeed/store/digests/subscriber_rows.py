"""Digest subscribers and their interests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import Connection, and_, delete, func, select, update

from paperfeed.store.digest_tables import interests, subscribers
from paperfeed.util import chunks, utcnow

SUBSCRIBER_FIELDS = (
    "frequency",
    "send_time",
    "timezone",
    "weekday",
    "skip_weekends",
    "max_papers",
    "include_trending",
)
_CHUNK = 500


class InterestRow(NamedTuple):
    """One stored interest of a subscriber (a named tuple: a large run loads ~5 per
    subscriber, and a tuple is made several times faster than a frozen dataclass)."""

    kind: str
    value: str
    vector: bytes | None = None


def find_subscriber(conn: Connection, email_key: str) -> dict[str, object] | None:
    """The subscriber row for an address key, or None."""
    row = conn.execute(select(subscribers).where(subscribers.c.email_key == email_key)).first()
    return dict(row._mapping) if row else None


def get_subscriber(conn: Connection, subscriber_id: int) -> dict[str, object] | None:
    """The subscriber row by id, or None."""
    row = conn.execute(select(subscribers).where(subscribers.c.id == subscriber_id)).first()
    return dict(row._mapping) if row else None


def insert_subscriber(conn: Connection, values: dict[str, object]) -> int:
    """Create a subscriber; returns its id (IntegrityError when the address exists)."""
    result = conn.execute(subscribers.insert().values(**values, created_at=utcnow()))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def update_subscriber(conn: Connection, subscriber_id: int, values: dict[str, object]) -> None:
    """Change stored columns of one subscriber."""
    conn.execute(update(subscribers).where(subscribers.c.id == subscriber_id).values(**values))


def replace_interests(conn: Connection, subscriber_id: int, rows: Sequence[InterestRow]) -> None:
    """Store a subscriber's interests, replacing the previous ones."""
    conn.execute(delete(interests).where(interests.c.subscriber_id == subscriber_id))
    if rows:
        conn.execute(
            interests.insert(),
            [
                {"subscriber_id": subscriber_id, "position": i, **r._asdict()}
                for i, r in enumerate(rows)
            ],
        )


def get_interests(conn: Connection, subscriber_ids: Sequence[int]) -> dict[int, list[InterestRow]]:
    """Interests of many subscribers, in their stored order."""
    out: dict[int, list[InterestRow]] = {}
    for chunk in chunks(list(subscriber_ids), _CHUNK):
        query = (
            select(interests)
            .where(interests.c.subscriber_id.in_(chunk))
            .order_by(interests.c.subscriber_id, interests.c.position)
        )
        for r in conn.execute(query):
            out.setdefault(r.subscriber_id, []).append(InterestRow(r.kind, r.value, r.vector))
    return out


def subscriber_for_user(conn: Connection, user_id: int) -> dict[str, object] | None:
    """The newest confirmed subscription linked to a user (their email address), or None."""
    query = select(subscribers).where(
        subscribers.c.user_id == user_id, subscribers.c.status == "confirmed"
    )
    row = conn.execute(query.order_by(subscribers.c.id.desc()).limit(1)).first()
    return dict(row._mapping) if row else None


def user_subscription(conn: Connection, user_id: int) -> dict[str, object] | None:
    """A user's linked subscription as their settings show it: confirmed first, else pending."""
    found = subscriber_for_user(conn, user_id)
    if found is not None:
        return found
    query = select(subscribers).where(
        subscribers.c.user_id == user_id, subscribers.c.status == "pending"
    )
    row = conn.execute(query.order_by(subscribers.c.id.desc()).limit(1)).first()
    return dict(row._mapping) if row else None


def link_user(conn: Connection, subscriber_id: int, user_id: int) -> None:
    """Make a subscription the user's one linked address (other links of the user are dropped)."""
    others = and_(subscribers.c.user_id == user_id, subscribers.c.id != subscriber_id)
    conn.execute(update(subscribers).where(others).values(user_id=None))
    update_subscriber(conn, subscriber_id, {"user_id": user_id})


def confirmed_subscribers(conn: Connection) -> list[dict[str, object]]:
    """Every confirmed subscriber row."""
    query = select(subscribers).where(subscribers.c.status == "confirmed")
    return [dict(r._mapping) for r in conn.execute(query.order_by(subscribers.c.id))]


def all_interests(conn: Connection) -> dict[int, list[InterestRow]]:
    """Interests of every confirmed subscriber, in one query."""
    query = (
        select(interests.c.subscriber_id, interests.c.kind, interests.c.value, interests.c.vector)
        .join(subscribers, subscribers.c.id == interests.c.subscriber_id)
        .where(subscribers.c.status == "confirmed")
        .order_by(interests.c.subscriber_id, interests.c.position)
    )
    out: dict[int, list[InterestRow]] = {}
    # Fetched at once and unpacked as plain tuples: a large run reads ~5 rows a subscriber.
    for sid, kind, value, vector in conn.execute(query).all():
        out.setdefault(sid, []).append(InterestRow(kind, value, vector))
    return out


def count_subscribers(conn: Connection) -> dict[str, int]:
    """How many subscribers are in each status."""
    query = select(subscribers.c.status, func.count()).group_by(subscribers.c.status)
    return {status: n for status, n in conn.execute(query)}
