"""Running one job: one runner across processes, retries with backoff, every run recorded."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection

from paperfeed.pipeline.registry import Context, Counts, Interrupted, Job
from paperfeed.store import jobs as db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """How a request to run a job ended: ok, failed, busy (another runner has it), done, not
    due (its backoff runs, or it gave up for the slot), or interrupted (its process is
    stopping)."""

    job: str
    status: str
    counts: Counts = field(default_factory=dict)
    error: str | None = None
    run_id: int | None = None


def run_job(
    ctx: Context,
    job: Job,
    trigger: str = "manual",
    sleep: Callable[[float], None] = time.sleep,
    keep: Callable[[Counts], bool] | None = None,
    tries: range | None = None,
    retried: bool = False,
    due: Callable[[Connection], bool] | None = None,
) -> Outcome:
    """Run `job` unless another process is running it (or it already succeeded for the slot).

    `keep` decides whether a successful run is worth a row of its own (a periodic check that
    found nothing to do replaces the job's previous such row). `tries`: which of its attempts
    this run makes (default: all of `job_max_attempts`, waiting before each after the first:
    `range(2, n + 1)` starts by waiting, as a second attempt does). `retried`: a failure
    is recorded as waiting for its retry; the run that makes the next tries replaces it. `due`:
    asked again under the lock (another node may have just run the job); False: "not due", no run.
    """
    holder = f"{db.node_name()}:{uuid.uuid4().hex[:8]}"
    with db.job_lock(ctx.engine, job.name, holder) as held:
        if not held:
            return Outcome(job.name, "busy")
        with ctx.engine.begin() as conn:
            if ctx.slot and db.slot_status(conn, [job.name], ctx.slot).get(job.name) == "ok":
                return Outcome(job.name, "done")
            if due is not None and not due(conn):
                return Outcome(job.name, "not due")
            if db.abandon_running(conn, job.name, ctx.stamp()):
                log.warning("%s: a previous run was interrupted; this run resumes it", job.name)
            db.drop_retrying(conn, job.name)
            run_id = db.start_run(conn, job.name, ctx.slot, trigger, db.node_name(), ctx.stamp())
        started = time.monotonic()
        try:
            outcome = _attempts(ctx, job, run_id, sleep, tries)
        except Interrupted as exc:
            # Recorded as stopped, not left "running"; the next run resumes it.
            log.warning("%s: %s, as the process is stopping", job.name, exc)
            with ctx.engine.begin() as conn:
                reason = f"stopped with its process ({exc}); the next run resumes it"
                db.finish_run(conn, run_id, "abandoned", {}, reason, ctx.stamp())
            return Outcome(job.name, "interrupted", {}, str(exc), run_id)
        with ctx.engine.begin() as conn:
            if outcome.status == "ok" and keep is not None and not keep(outcome.counts):
                db.keep_quiet_run(conn, job.name, run_id, outcome.counts, ctx.stamp())
                return outcome
            if outcome.status == "failed" and retried:
                # Shown as waiting for its retry (not as never run) until the retry starts.
                db.finish_run(conn, run_id, db.RETRYING, {}, outcome.error, ctx.stamp())
                return outcome
            db.finish_run(conn, run_id, outcome.status, outcome.counts, outcome.error, ctx.stamp())
        if outcome.status == "ok":
            _say(job.name, trigger, ctx.slot, outcome.counts, time.monotonic() - started)
        return outcome


def _say(name: str, trigger: str, slot: str | None, counts: Counts, seconds: float) -> None:
    """One log line per run that did something: what the morning run did, in the log."""
    did = ", ".join(f"{k} {v}" for k, v in counts.items() if isinstance(v, int | float) and v)
    run = f"{trigger} run for {slot}" if slot else f"{trigger} run"
    if counts.get("disabled"):
        did = "skipped (not configured)"
    log.info("%s ok (%s) in %.1f s: %s", name, run, seconds, did or "nothing to do")


def _attempts(
    ctx: Context, job: Job, run_id: int, sleep: Callable[[float], None], tries: range | None
) -> Outcome:
    settings = ctx.settings
    error = ""
    tries = tries if tries is not None else range(1, settings.job_max_attempts + 1)
    for attempt in tries:
        if attempt > 1:
            with ctx.engine.begin() as conn:
                db.update_run(conn, run_id, attempt, {"last_error": error})
            _wait(ctx, settings.job_retry_delay * 2 ** (attempt - 2), sleep)
        try:
            counts = job.run(ctx)
        except Interrupted:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
            error = f"{type(exc).__name__}: {exc}"
            log.warning("%s attempt %d failed: %s", job.name, attempt, error)
            continue
        return Outcome(job.name, "ok", counts, None, run_id)
    return Outcome(job.name, "failed", {"attempts": tries.stop - 1}, error, run_id)


def _wait(ctx: Context, seconds: float, sleep: Callable[[float], None]) -> None:
    """Wait before a retry; a stopping process does not wait, and the run stops there."""
    if ctx.stop is not None and sleep is time.sleep:
        ctx.stop.wait(seconds)
    else:
        sleep(seconds)
    if ctx.stopping():
        raise Interrupted("stopped while waiting to retry")
