"""Recorded job runs: started, progressed, finished, abandoned, resumed and listed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select, update

from paperfeed.store.jobs.tables import job_runs
from paperfeed.util import utcnow


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


RETRYING = "retrying"  # a scheduled run's failed first attempt, retried after the other jobs


def drop_retrying(conn: Connection, job: str) -> None:
    """Forget the job's failed first attempts that waited for a retry: the run starting now
    makes (and records) the tries they waited for."""
    conn.execute(delete(job_runs).where(job_runs.c.job == job, job_runs.c.status == RETRYING))


def waits_for_retry(conn: Connection, job: str, slot: str) -> bool:
    """True while the job's first attempt for `slot` failed and its retry has not started."""
    where = (job_runs.c.job == job) & (job_runs.c.slot == slot) & (job_runs.c.status == RETRYING)
    return conn.execute(select(job_runs.c.id).where(where).limit(1)).first() is not None


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
    query = (
        select(job_runs.c.job, job_runs.c.status, func.count())
        .where(job_runs.c.status != RETRYING)  # a passing state: its row goes when retried
        .group_by(job_runs.c.job, job_runs.c.status)
    )
    return {(job, status): int(n) for job, status, n in conn.execute(query)}
