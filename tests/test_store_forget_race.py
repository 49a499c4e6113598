"""The week-old unsubscribed addresses and the expired unconfirmed ones are forgotten only as
they still are when deleted: an address that subscribed again (or was confirmed) between the
upkeep's finding it and deleting it is kept."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event, func, insert, select

from paperfeed.store.digest_tables import subscribers
from paperfeed.store.unconfirmed import forget_unconfirmed, forget_unsubscribed
from paperfeed.util import utcnow


def _subscriber(engine: Engine, address: str, status: str, at: datetime) -> int:
    row = {
        "email": address,
        "email_key": address,
        "status": status,
        "nonce": "n" * 32,
        "frequency": "daily",
        "send_time": "08:00",
        "timezone": "UTC",
        "weekday": 0,
        "skip_weekends": False,
        "max_papers": 10,
        "include_trending": False,
        "created_at": at,
        "unsubscribed_at": at if status == "unsubscribed" else None,
    }
    with engine.begin() as conn:
        return int(conn.execute(insert(subscribers).values(**row)).inserted_primary_key[0])


@contextmanager
def _changed_before_delete(engine: Engine, sid: int, status: str) -> Iterator[None]:
    """Set the subscription's status just before the upkeep's DELETE runs, as a reader
    subscribing again or confirming at that moment does."""

    def change(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE FROM DIGEST_SUBSCRIBERS"):
            cursor.execute(f"UPDATE digest_subscribers SET status = '{status}' WHERE id = {sid}")

    event.listen(engine, "before_cursor_execute", change)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", change)


def _statuses(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(subscribers.c.status).order_by(subscribers.c.id)))


def test_an_address_subscribing_again_as_it_is_forgotten_is_kept(engine: Engine) -> None:
    long_ago = utcnow() - timedelta(days=8)
    back = _subscriber(engine, "back@x.org", "unsubscribed", long_ago)
    _subscriber(engine, "gone@x.org", "unsubscribed", long_ago)
    with _changed_before_delete(engine, back, "pending"), engine.begin() as conn:
        forgotten = forget_unsubscribed(conn, utcnow() - timedelta(days=7), 10)
    assert _statuses(engine) == ["pending"]  # gone@ forgotten, back@ kept
    assert forgotten == 1


def test_an_address_confirmed_as_it_is_forgotten_is_kept(engine: Engine) -> None:
    long_ago = utcnow() - timedelta(days=8)
    late = _subscriber(engine, "late@x.org", "pending", long_ago)
    _subscriber(engine, "never@x.org", "pending", long_ago)
    with _changed_before_delete(engine, late, "confirmed"), engine.begin() as conn:
        forget_unconfirmed(conn, utcnow() - timedelta(days=7), 10)
    assert _statuses(engine) == ["confirmed"]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(subscribers)).scalar_one() == 1
