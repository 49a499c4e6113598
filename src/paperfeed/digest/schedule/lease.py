"""The digest run's lease: one run at a time across processes (on PostgreSQL, an advisory lock)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial

from sqlalchemy import Engine

from paperfeed.store import digests as db
from paperfeed.store import jobs as jobs_db

LOCK = "digest-run"
_LEASE = timedelta(minutes=10)
# Runs in progress in this process: a lease of this process not here was left by a run whose
# release failed (a full disk), and must not block the next run for the rest of the lease.
_RUNNING: set[str] = set()


@contextmanager
def run_lease(engine: Engine) -> Iterator[Callable[[], bool] | None]:
    """Hold the digest run's lease for the block; yields whether to keep going (it renews the
    lease), or None when another run holds it. On PostgreSQL an advisory lock, which the server
    frees when its process dies, guards the lease: no process ids, which containers reuse."""
    holder = f"{jobs_db.node_name()}:{uuid.uuid4().hex[:8]}"
    if engine.dialect.name != "postgresql":
        with _leased(engine, holder, False) as held:
            yield _renewer(engine, holder, lambda: True) if held else None
        return
    with jobs_db.advisory_lock(engine, LOCK) as conn:
        if conn is None:
            yield None
            return
        with _leased(engine, holder, True) as held:
            alive = partial(jobs_db.session_alive, conn)  # its end freed the lock
            yield _renewer(engine, holder, alive) if held else None


@contextmanager
def _leased(engine: Engine, holder: str, locked: bool) -> Iterator[bool]:
    if not _acquire(engine, holder, locked):
        yield False
        return
    _RUNNING.add(holder)
    try:
        yield True
    finally:
        _RUNNING.discard(holder)
        with engine.begin() as conn:
            db.release_lock(conn, LOCK, holder)


def _acquire(engine: Engine, holder: str, locked: bool) -> bool:
    with engine.begin() as conn:
        current = db.lock_holder(conn, LOCK)
        stale = [current] if current and _is_dead(current, locked) else []
        return db.acquire_lock(conn, LOCK, holder, _LEASE, stale)


def _is_dead(holder: str, locked: bool) -> bool:
    # A holder named with its process space (host/space:pid) held the advisory lock we now
    # hold (PostgreSQL): it is gone. Else only a holder in our process space can be checked.
    if locked and "/" in holder.partition(":")[0]:
        return True
    if holder.startswith(jobs_db.node_name() + ":"):  # this process: a run whose release failed
        return holder not in _RUNNING
    return jobs_db.holder_is_dead(holder)


def _renewer(engine: Engine, holder: str, locked: Callable[[], bool]) -> Callable[[], bool]:
    last = [time.monotonic()]

    def keep_going() -> bool:
        if time.monotonic() - last[0] < 60:
            return True
        last[0] = time.monotonic()
        with engine.begin() as conn:
            return db.renew_lock(conn, LOCK, holder, _LEASE) and locked()

    return keep_going
