"""Operations tables and queries: job runs, job locks and the admin action log.

Migration 0006 creates them. A job lock is a PostgreSQL advisory lock held on a dedicated
connection (released by the server when the process dies); on SQLite it is a row with an owner
and an expiry that a heartbeat renews.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    Index,
    Integer,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError

from paperfeed.store.accounts import site_state
from paperfeed.store.tables import metadata
from paperfeed.util import utcnow

log = logging.getLogger(__name__)

job_runs = Table(
    "job_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job", String(64), nullable=False),
    Column("slot", String(32)),  # the scheduled day a run belongs to; None for manual runs
    Column("trigger", String(16), nullable=False),  # schedule | manual | admin
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("status", String(16), nullable=False),  # running | ok | failed | abandoned | skipped
    Column("attempts", Integer, nullable=False),
    Column("counts", Text, nullable=False),  # JSON object of what the run did
    Column("error", Text),
    Column("node", String(128), nullable=False),
    Index("ix_job_runs_job_slot", "job", "slot"),
    Index("ix_job_runs_started_at", "started_at"),
)

job_locks = Table(
    "job_locks",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(128), nullable=False),
    Column("heartbeat_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("taken_at", DateTime),  # when its holder took it (NULL: taken before 0041)
)

admin_actions = Table(
    "admin_actions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("who", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", Text, nullable=False),
    Column("at", DateTime, nullable=False),
    Index("ix_admin_actions_at", "at"),
)


@dataclass(frozen=True)
class JobRun:
    """One recorded run of a job."""

    id: int
    job: str
    slot: str | None
    trigger: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    attempts: int
    counts: dict[str, object]
    error: str | None
    node: str


@dataclass(frozen=True)
class AdminAction:
    """One change an admin made."""

    who: str
    action: str
    target: str
    at: datetime


def _run(row: object) -> JobRun:
    r = row._mapping  # type: ignore[attr-defined]
    return JobRun(
        int(r["id"]),
        r["job"],
        r["slot"],
        r["trigger"],
        r["started_at"],
        r["finished_at"],
        r["status"],
        int(r["attempts"]),
        json.loads(r["counts"] or "{}"),
        r["error"],
        r["node"],
    )


def start_run(
    conn: Connection,
    job: str,
    slot: str | None,
    trigger: str,
    node: str,
    at: datetime | None = None,
) -> int:
    """Record that a job started (at `at`, naive UTC; default now); returns the run id."""
    values = {
        "job": job,
        "slot": slot,
        "trigger": trigger,
        "started_at": at or utcnow(),
        "status": "running",
        "attempts": 1,
        "counts": "{}",
        "node": node,
    }
    result = conn.execute(insert(job_runs).values(**values))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def update_run(conn: Connection, run_id: int, attempts: int, counts: dict[str, object]) -> None:
    """Record progress of a running job (attempt number, counts so far)."""
    values = {"attempts": attempts, "counts": json.dumps(counts, default=str)}
    conn.execute(update(job_runs).where(job_runs.c.id == run_id).values(**values))


def finish_run(
    conn: Connection,
    run_id: int,
    status: str,
    counts: dict[str, object],
    error: str | None,
    at: datetime | None = None,
) -> None:
    """Record how a run ended (at `at`, naive UTC; default now)."""
    values = {
        "finished_at": at or utcnow(),
        "status": status,
        "counts": json.dumps(counts, default=str),
        "error": error,
    }
    conn.execute(update(job_runs).where(job_runs.c.id == run_id).values(**values))


QUIET = "nothing_due"  # a periodic check's counts key: it found nothing to do


def keep_quiet_run(
    conn: Connection,
    job: str,
    run_id: int,
    counts: dict[str, object],
    at: datetime | None = None,
) -> None:
    """Record a periodic check that found nothing to do as the job's one such row: this run
    replaces the quiet one before it, so the job's last check shows without a row a minute."""
    finish_run(conn, run_id, "ok", counts | {QUIET: True}, None, at)
    earlier = (
        (job_runs.c.job == job)
        & (job_runs.c.id != run_id)
        & (job_runs.c.status == "ok")
        & job_runs.c.counts.like(f'%"{QUIET}": true%')
    )
    conn.execute(delete(job_runs).where(earlier))


def delete_run(conn: Connection, run_id: int) -> None:
    """Forget a run that did nothing worth recording (a periodic check)."""
    conn.execute(delete(job_runs).where(job_runs.c.id == run_id))


def abandon_running(conn: Connection, job: str, at: datetime | None = None) -> int:
    """Mark runs left 'running' by a dead process as abandoned (call while holding the lock)."""
    query = (
        update(job_runs)
        .where(job_runs.c.job == job, job_runs.c.status == "running")
        .values(
            status="abandoned", finished_at=at or utcnow(), error="the process running it stopped"
        )
    )
    return conn.execute(query).rowcount


def slot_failures(conn: Connection, job: str, slot: str) -> tuple[int, datetime | None]:
    """How many runs of `job` failed for a scheduled slot, and when the last of them ended."""
    where = (job_runs.c.job == job) & (job_runs.c.slot == slot) & (job_runs.c.status == "failed")
    query = select(func.count(), func.max(job_runs.c.finished_at)).where(where)
    n, last = conn.execute(query).one()
    return int(n), last


def to_resume(conn: Connection, job: str) -> JobRun | None:
    """The job's newest run when it was cut short (abandoned, or left running by a process
    that may have died): the work it did not finish waits for a run that resumes it."""
    query = select(job_runs).where(job_runs.c.job == job).order_by(job_runs.c.id.desc())
    row = conn.execute(query.limit(1)).first()
    run = _run(row) if row is not None else None
    return run if run is not None and run.status in ("abandoned", "running") else None


SCHEDULE_CHECKED = "jobs_checked_at"  # site_state: when a scheduler last checked (epoch s)
SCHEDULE_PID = "jobs_checked_pid"  # site_state: the process id of that scheduler


def note_schedule_check(conn: Connection, at: datetime, pid: int) -> None:
    """Record that a scheduler (process `pid`) checked the schedule at `at` (aware)."""
    for key, value in ((SCHEDULE_CHECKED, int(at.timestamp())), (SCHEDULE_PID, pid)):
        query = update(site_state).where(site_state.c.key == key).values(value=value)
        if not conn.execute(query).rowcount:
            try:
                with conn.begin_nested():
                    conn.execute(insert(site_state).values(key=key, value=value))
            except IntegrityError:  # another scheduler wrote it first: ours is as new
                pass


def last_schedule_check(conn: Connection) -> tuple[datetime, int] | None:
    """When a scheduler last checked the schedule (aware UTC) and its process id; None: never."""
    query = select(site_state.c.key, site_state.c.value).where(
        site_state.c.key.in_([SCHEDULE_CHECKED, SCHEDULE_PID])
    )
    found = {str(key): int(value) for key, value in conn.execute(query)}
    if SCHEDULE_CHECKED not in found:
        return None
    return datetime.fromtimestamp(found[SCHEDULE_CHECKED], UTC), int(found.get(SCHEDULE_PID, 0))


def slot_status(conn: Connection, jobs: Sequence[str], slot: str) -> dict[str, str]:
    """The best outcome so far of each job for a scheduled slot (ok beats failed)."""
    query = select(job_runs.c.job, job_runs.c.status).where(
        job_runs.c.slot == slot, job_runs.c.job.in_(list(jobs))
    )
    rank = {"ok": 3, "running": 2, "failed": 1}
    best: dict[str, str] = {}
    for job, status in conn.execute(query):
        if rank.get(status, 0) > rank.get(best.get(job, ""), 0):
            best[job] = status
    return best


def recent_runs(conn: Connection, limit: int = 50, job: str | None = None) -> list[JobRun]:
    """The newest runs, newest first."""
    query = select(job_runs).order_by(job_runs.c.started_at.desc(), job_runs.c.id.desc())
    if job:
        query = query.where(job_runs.c.job == job)
    return [_run(r) for r in conn.execute(query.limit(limit))]


def last_runs(conn: Connection) -> dict[str, JobRun]:
    """The newest run of every job that has run."""
    newest = select(func.max(job_runs.c.id)).group_by(job_runs.c.job)
    query = select(job_runs).where(job_runs.c.id.in_(newest))
    return {run.job: run for run in map(_run, conn.execute(query))}


def run_counts(conn: Connection) -> dict[tuple[str, str], int]:
    """Runs per (job, status): the source of the job metrics."""
    query = select(job_runs.c.job, job_runs.c.status, func.count()).group_by(
        job_runs.c.job, job_runs.c.status
    )
    return {(job, status): int(n) for job, status, n in conn.execute(query)}


def record_action(conn: Connection, who: str, action: str, target: str) -> None:
    """Log a change an admin made."""
    values = {"who": who, "action": action, "target": target, "at": utcnow()}
    conn.execute(insert(admin_actions).values(**values))


def _about(part: str) -> ColumnElement[bool]:
    """Admin actions done by, or to, a name holding `part` (any case)."""
    part = part.lower()
    who = func.lower(admin_actions.c.who).contains(part, autoescape=True)
    return or_(who, func.lower(admin_actions.c.target).contains(part, autoescape=True))


def recent_actions(
    conn: Connection, limit: int = 50, offset: int = 0, about: str = ""
) -> list[AdminAction]:
    """The newest admin actions, newest first; with `about`, those by or on a name holding it."""
    query = select(admin_actions).order_by(admin_actions.c.id.desc()).limit(limit).offset(offset)
    if about:
        query = query.where(_about(about))
    return [AdminAction(r.who, r.action, r.target, r.at) for r in conn.execute(query)]


def count_actions(conn: Connection, about: str = "") -> int:
    """How many admin actions `recent_actions` pages through."""
    query = select(func.count()).select_from(admin_actions)
    return int(conn.execute(query.where(_about(about)) if about else query).scalar_one())


# --- locks ------------------------------------------------------------------------------------


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


def node_name() -> str:
    """This process as a lock holder and run node: host/space:pid (see `process_space`)."""
    return f"{socket.gethostname()}/{process_space()}:{os.getpid()}"


@functools.cache
def process_space() -> str:
    """Where a pid names the same process as here: this kernel boot and pid namespace, hashed.
    Two containers with one host name (host networking) each have their own pid 1; "-": no
    /proc to tell (not Linux), where the host name alone says it."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        space = os.readlink("/proc/self/ns/pid")
    except OSError:
        return "-"
    return hashlib.sha256(f"{boot} {space}".encode()).hexdigest()[:8]


def holder_is_dead(holder: str) -> bool:
    """True when a holder in this process space names a process that no longer exists (a
    holder elsewhere, or named without its space, is left to its lease's expiry)."""
    place, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if place != node_name().partition(":")[0] or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def outbox_depth(conn: Connection) -> dict[str, int]:
    """Digest outbox messages per status."""
    from paperfeed.store.digest_tables import outbox

    query = select(outbox.c.status, func.count()).group_by(outbox.c.status)
    return {status: int(n) for status, n in conn.execute(query)}


UNREACHABLE = "cannot open an SMTP session"  # how a send that found no mail server begins


def unreachable_mail(conn: Connection) -> tuple[int, str, datetime] | None:
    """Emails waiting because the mail server could not be reached: how many, the newest
    reason, and since when the oldest waits; None when none waits for that."""
    from paperfeed.store.digest_tables import outbox

    waiting = (outbox.c.status == "pending") & outbox.c.last_error.startswith(UNREACHABLE)
    n, since = conn.execute(
        select(func.count(), func.min(outbox.c.created_at)).where(waiting)
    ).one()
    if not n:
        return None
    newest = select(outbox.c.last_error).where(waiting).order_by(outbox.c.id.desc()).limit(1)
    return int(n), str(conn.execute(newest).scalar_one()), since


@dataclass(frozen=True)
class FailedDelivery:
    """An email that will not go out without help."""

    id: int
    recipient: str
    kind: str
    period: str
    attempts: int
    error: str | None
    created_at: datetime


def failed_deliveries(conn: Connection, limit: int = 100) -> list[FailedDelivery]:
    """Outbox messages that failed for good, newest first."""
    from paperfeed.store.digest_tables import outbox

    query = (
        select(outbox).where(outbox.c.status == "failed").order_by(outbox.c.id.desc()).limit(limit)
    )
    return [
        FailedDelivery(r.id, r.recipient, r.kind, r.period, r.attempts, r.last_error, r.created_at)
        for r in conn.execute(query)
    ]


UNSUBSCRIBED = "unsubscribed"  # the reason digest delivery gives up on a leaver: never retried


def retry_delivery(conn: Connection, outbox_id: int) -> bool:
    """Put a failed message back in the queue for the next digest run; False if not failed."""
    from paperfeed.store.digest_tables import outbox

    query = (
        update(outbox)
        .where(outbox.c.id == outbox_id, outbox.c.status == "failed")
        .where(or_(outbox.c.last_error.is_(None), outbox.c.last_error != UNSUBSCRIBED))
        .values(status="pending", attempts=0, next_attempt_at=utcnow())
    )
    return conn.execute(query).rowcount > 0


def papers_not_embedded(conn: Connection) -> int:
    """Papers without a current vector under the newest embedding contract."""
    from paperfeed.store import search_store
    from paperfeed.store.tables import papers

    contracts = search_store.embedding_contracts
    newest = select(contracts.c.id).order_by(contracts.c.created_at.desc()).limit(1)
    cid = conn.execute(newest).scalar()
    if cid is None:
        return int(conn.execute(select(func.count()).select_from(papers)).scalar_one())
    return search_store.count_to_embed(conn, cid)
