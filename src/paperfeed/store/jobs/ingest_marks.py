"""Ingest runs storing papers now, and how many have started: what digests read meanwhile."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from paperfeed.store.accounts import site_state
from paperfeed.store.jobs.holders import holder_is_dead, node_name
from paperfeed.store.jobs.locks import LEASE, _row_lock, advisory_key, lock_taken
from paperfeed.store.jobs.tables import job_locks
from paperfeed.util import utcnow

INGEST = "ingest"  # held (shared) by every ingest run while it stores papers
INGESTS_STARTED = "ingests_started"  # site_state: how many ingest runs have started


@dataclass(frozen=True)
class IngestState:
    """Whether papers are being stored now, and how many ingest runs have started so far;
    `since`: when the oldest run storing now began, by the store's clock (None: none, or not
    known), so a digest read meanwhile knows from when papers may still come."""

    running: bool
    started: int
    since: datetime | None = None


@contextmanager
def storing_papers(engine: Engine) -> Iterator[None]:
    """Mark an ingest run for the block, before it stores anything, so that digests composed
    meanwhile can tell that a day they read may be partly stored (several runs may hold it)."""
    run = uuid.uuid4().hex[:8]
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:  # dedicated: a killed process frees the lock
            conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.execute(
                text("SELECT pg_advisory_lock_shared(:key)"), {"key": advisory_key(INGEST)}
            )
            try:
                _count_ingest(engine)
                yield
            finally:
                query = text("SELECT pg_advisory_unlock_shared(:key)")
                conn.execute(query, {"key": advisory_key(INGEST)})
        return
    holder = f"{node_name()}:{run}"
    with _row_lock(engine, f"{INGEST}:{run}", holder, LEASE):  # a name of its own: always free
        _count_ingest(engine)
        yield


def _count_ingest(engine: Engine) -> None:
    with engine.begin() as conn:
        bump = update(site_state).where(site_state.c.key == INGESTS_STARTED)
        if conn.execute(bump.values(value=site_state.c.value + 1)).rowcount:
            return
        try:
            with conn.begin_nested():
                conn.execute(insert(site_state).values(key=INGESTS_STARTED, value=1))
        except IntegrityError:  # another run counted itself first
            conn.execute(bump.values(value=site_state.c.value + 1))


def ingest_state(conn: Connection) -> IngestState:
    """Whether a live ingest run is storing papers, and how many have started."""
    query = select(site_state.c.value).where(site_state.c.key == INGESTS_STARTED)
    started = int(conn.execute(query).scalar_one_or_none() or 0)
    if conn.dialect.name == "postgresql":
        return IngestState(lock_taken(conn, INGEST), started, _pg_ingest_since(conn))
    rows = select(job_locks.c.holder, job_locks.c.taken_at).where(
        job_locks.c.name.startswith(f"{INGEST}:"), job_locks.c.expires_at > utcnow()
    )
    live = [taken for holder, taken in conn.execute(rows) if not holder_is_dead(holder)]
    return IngestState(bool(live), started, min(live) if all(live) and live else None)


def _pg_ingest_since(conn: Connection) -> datetime | None:
    # A run's lock is taken on a connection of its own that then waits idle: it went idle,
    # by the server's clock, before the run stored anything. Another role's session shows no
    # times (NULL: not known).
    query = text(
        "SELECT bool_and(a.state_change IS NOT NULL),"
        " min(a.state_change) AT TIME ZONE 'UTC' FROM pg_locks l"
        " JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted"
        " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        " AND ((l.classid::bigint << 32) | l.objid::bigint) = :key"
    )
    known, since = conn.execute(query, {"key": advisory_key(INGEST)}).one()
    return since if known else None
