"""The store's clock: stamps and marks that processes on several hosts compare."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, text

from paperfeed.util import utcnow


def store_now(conn: Connection) -> datetime:
    """The database's time, as the naive UTC the store keeps: PostgreSQL's (its transaction's
    start), which an ingest host and a digest host share; SQLite runs in this process, on the
    one host its file is on, so its clock is this process's."""
    if conn.dialect.name != "postgresql":
        return utcnow()
    now = conn.execute(text("SELECT CURRENT_TIMESTAMP AT TIME ZONE 'UTC'")).scalar_one()
    assert isinstance(now, datetime)
    return now
