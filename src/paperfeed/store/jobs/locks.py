"""Job locks: PostgreSQL advisory locks, and on SQLite rows whose heartbeat renews them."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, insert, or_, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from paperfeed.store.jobs.holders import holder_is_dead
from paperfeed.store.jobs.tables import job_locks
from paperfeed.util import utcnow

# the name it had before the module became a package: log settings may name it
log = logging.getLogger("paperfeed.store.jobs")


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for a PostgreSQL advisory lock named `name`."""
    digest = hashlib.sha256(b"paperfeed-job:" + name.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def try_advisory_lock(conn: Connection, name: str) -> bool:
    """PostgreSQL: take a session-level advisory lock on this connection, without waiting."""
    query = text("SELECT pg_try_advisory_lock(:key)")
    return bool(conn.execute(query, {"key": advisory_key(name)}).scalar_one())


def advisory_unlock(conn: Connection, name: str) -> None:
    """PostgreSQL: release an advisory lock taken on this connection."""
    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": advisory_key(name)})


def session_alive(conn: Connection) -> bool:
    """Whether a connection's database session still stands (its advisory locks with it)."""
    try:
        conn.execute(text("SELECT 1"))
    except DBAPIError:
        return False
    return True


def lock_row(conn: Connection, name: str) -> tuple[str, datetime] | None:
    """The holder and expiry of a row lock, if any."""
    query = select(job_locks.c.holder, job_locks.c.expires_at).where(job_locks.c.name == name)
    row = conn.execute(query).first()
    return (row.holder, row.expires_at) if row else None


def take_row_lock(
    conn: Connection, name: str, holder: str, lease: timedelta, stale: Sequence[str] = ()
) -> bool:
    """Take a row lock that is free, expired, or held by a holder known to be dead."""
    now = utcnow()
    free = or_(job_locks.c.expires_at < now, job_locks.c.holder.in_(list(stale)))
    query = (
        update(job_locks)
        .where(job_locks.c.name == name, free)
        .values(holder=holder, heartbeat_at=now, expires_at=now + lease, taken_at=now)
    )
    if conn.execute(query).rowcount:
        return True
    values = {"name": name, "holder": holder, "heartbeat_at": now, "expires_at": now + lease}
    values["taken_at"] = now
    try:
        with conn.begin_nested():
            conn.execute(insert(job_locks).values(**values))
    except IntegrityError:
        return False
    return True


def renew_row_lock(conn: Connection, name: str, holder: str, lease: timedelta) -> bool:
    """Push a held row lock's expiry forward; False when it is no longer ours."""
    now = utcnow()
    query = (
        update(job_locks)
        .where(job_locks.c.name == name, job_locks.c.holder == holder)
        .values(heartbeat_at=now, expires_at=now + lease)
    )
    return conn.execute(query).rowcount > 0


def release_row_lock(conn: Connection, name: str, holder: str) -> None:
    """Drop a row lock we hold."""
    conn.execute(delete(job_locks).where(job_locks.c.name == name, job_locks.c.holder == holder))


def lock_taken(conn: Connection, name: str) -> bool:
    """Whether a live process holds the lock named `name` (looks only: takes nothing)."""
    if conn.dialect.name == "postgresql":
        # A bigint advisory key is kept as classid (high 32 bits) and objid (low 32 bits).
        query = text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND ((classid::bigint << 32) | objid::bigint) = :key"
        )
        return bool(conn.execute(query, {"key": advisory_key(name)}).scalar_one())
    row = lock_row(conn, name)
    return row is not None and row[1] > utcnow() and not holder_is_dead(row[0])


LEASE = timedelta(minutes=5)  # a row lock whose heartbeats stopped this long is free


@contextmanager
def job_lock(engine: Engine, name: str, holder: str, lease: timedelta = LEASE) -> Iterator[bool]:
    """Hold the lock named `name` for the block when it is free; yields whether we hold it."""
    if engine.dialect.name == "postgresql":
        with _advisory(engine, name) as held:
            yield held
        return
    with _row_lock(engine, name, holder, lease) as held:
        yield held


@contextmanager
def _advisory(engine: Engine, name: str) -> Iterator[bool]:
    with advisory_lock(engine, name) as conn:
        yield conn is not None


@contextmanager
def advisory_lock(engine: Engine, name: str) -> Iterator[Connection | None]:
    """PostgreSQL: hold the advisory lock `name` for the block on a connection of its own (the
    server frees it when the process dies, in whatever container); None: another holds it."""
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        held = try_advisory_lock(conn, name)
        try:
            yield conn if held else None
        finally:
            if held:
                advisory_unlock(conn, name)


@contextmanager
def _row_lock(engine: Engine, name: str, holder: str, lease: timedelta) -> Iterator[bool]:
    with engine.begin() as conn:
        current = lock_row(conn, name)
        stale = [current[0]] if current and holder_is_dead(current[0]) else []
        held = take_row_lock(conn, name, holder, lease, stale)
    if not held:
        yield False
        return
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(engine, name, holder, lease, stop))
    beat.daemon = True
    beat.start()
    try:
        yield True
    finally:
        stop.set()
        beat.join()
        with engine.begin() as conn:
            release_row_lock(conn, name, holder)


def _heartbeat(
    engine: Engine, name: str, holder: str, lease: timedelta, stop: threading.Event
) -> None:
    while not stop.wait(lease.total_seconds() / 10):
        try:
            with engine.begin() as conn:
                renew_row_lock(conn, name, holder, lease)
        except Exception:  # noqa: BLE001 - a busy database must not end the heartbeat
            log.warning("could not renew the %s lock; trying again", name, exc_info=True)
