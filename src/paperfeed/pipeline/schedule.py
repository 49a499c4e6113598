"""When the pipeline runs: a daily slot after arXiv's announcement, digests held for late sources.

The clock is injectable, so tests move time instead of waiting for it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine

from paperfeed.pipeline.plan import (
    MAX_FAILED_RUNS,
    RUNS_NOW,
    BadSchedule,
    current_slot,
    local_and_utc,
    next_slot,
    plan,
)
from paperfeed.pipeline.registry import Context, Job, registry
from paperfeed.pipeline.runner import Outcome, run_job
from paperfeed.settings import Settings
from paperfeed.store import jobs as db
from paperfeed.store.health import Outage
from paperfeed.util import StderrHandler

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
__all__ = ["BadSchedule", "Scheduler", "current_slot", "log_to_stderr", "start_scheduler"]


def _worth_keeping(counts: dict[str, object]) -> bool:
    return any(counts.get(k) for k in ("composed", "sent", "failed", "retrying", "recovered"))


STOP_WAIT = 25.0  # seconds a stopping process waits for its job (docs/deploy.md: TimeoutStopSec 30)


class Scheduler:
    """Runs the day's jobs once per slot (retrying failures), then sends due digests."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        clock: Clock = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
        jobs: list[Job] | None = None,
        digests: bool = True,
        mailer: object = None,
    ) -> None:
        self.engine, self.settings, self.clock, self.sleep = engine, settings, clock, sleep
        self.jobs = jobs if jobs is not None else registry()
        self.digests, self.mailer = digests, mailer
        self.cache: dict[str, object] = {}
        self.stop: threading.Event | None = None  # run_forever's: long jobs end early when set

    def tick(self) -> list[Outcome]:
        """One check: run what the current slot still lacks (or a run cut short left undone),
        then digests unless held back."""
        now = self.clock()
        slot, at = current_slot(self.settings, now)
        with self.engine.begin() as conn:
            db.note_schedule_check(conn, now, os.getpid())
        ctx = Context(
            self.engine, self.settings, now, slot, self.mailer, self.cache, self.stop, self.clock
        )
        outcomes = self._run_steps(ctx, [job for job in self._steps() if self._due(job, now)])
        if self.digests and not ctx.stopping() and not self.digests_held(slot, at, now):
            job = next((j for j in self.jobs if j.name == "digests"), None)
            if job is not None:
                digest_ctx = replace(ctx, slot=None)  # due digests: checked every tick
                outcomes.append(run_job(digest_ctx, job, "schedule", self.sleep, _worth_keeping))
        return outcomes

    def _steps(self) -> list[Job]:
        return [job for job in self.jobs if job.name != "digests"]

    def _plan_of(self, job: Job, conn: Connection) -> str:
        return plan(conn, self.settings, job, self.clock()).why

    def _due(self, job: Job, now: datetime) -> bool:
        with self.engine.connect() as conn:
            return plan(conn, self.settings, job, now).why in RUNS_NOW

    def _run_steps(self, ctx: Context, jobs: list[Job]) -> list[Outcome]:
        """Each job's first attempt, in order; then the retries of those that failed, so that
        a source that is down (and the waits before its retries) holds back no other job."""
        most = self.settings.job_max_attempts
        first: list[Outcome] = []
        for job in jobs:
            if ctx.stopping():  # told to stop: start no job (the next check runs the rest)
                jobs = jobs[: len(first)]
                break
            first.append(self._run(ctx, job, range(1, 2), most > 1))
            if first[-1].status == "busy":
                # Its runner goes on with the jobs after it, in order: running them here
                # would embed (or enrich) before that job's papers are in.
                log.debug("%s is running elsewhere, which runs the jobs after it", job.name)
                jobs = jobs[: len(first)]
                break
        outcomes = []
        for job, outcome in zip(jobs, first, strict=True):
            if outcome.status == "failed" and most > 1 and not ctx.stopping():
                log.warning(
                    "%s failed (%s); retrying after the other jobs", job.name, outcome.error
                )
                outcome = self._run(ctx, job, range(2, most + 1), False)
            elif outcome.status == "failed" and most > 1 and outcome.run_id is not None:
                with self.engine.begin() as conn:  # stopping: no retry now; a failed run
                    db.finish_run(conn, outcome.run_id, "failed", {}, outcome.error, ctx.stamp())
            outcomes.append(self._note(ctx, job, outcome))
        firsts = [j.name for j, o in zip(jobs, first, strict=True) if o.status == "ok"]
        retried = [j.name for j, o in zip(jobs, outcomes, strict=True) if o.status == "ok"]
        return outcomes + self._follow_up(ctx, firsts + [n for n in retried if n not in firsts])

    def _follow_up(self, ctx: Context, done: list[str]) -> list[Outcome]:
        """Run again each job that works on the stored papers (embed, enrich) that did not run
        after a source that succeeded late (on its retry): its papers are embedded now, not
        at the next slot, and before the digests."""
        steps = self._steps()
        names = [job.name for job in steps]
        again: set[str] = set()
        for i, name in enumerate(done):
            if not steps[names.index(name)].after_sources:
                later = steps[names.index(name) + 1 :]
                again |= {j.name for j in later if j.after_sources and j.name not in done[i + 1 :]}
        if ctx.stopping():
            return []
        late = replace(ctx, slot=None)  # the slot's own run is done: this one comes after it
        return [run_job(late, j, "follow-up", self.sleep) for j in steps if j.name in again]

    def _run(self, ctx: Context, job: Job, tries: range, retried: bool) -> Outcome:
        """One scheduled run of `job`, checked again under its lock (another node may have run
        it meanwhile); a run that finishes one cut short is recorded as a resume."""
        with self.engine.connect() as conn:
            why = self._plan_of(job, conn)
        if why == "resume":
            ctx = replace(ctx, slot=None)
        trigger = "resume" if why == "resume" else "schedule"
        due = lambda conn: self._plan_of(job, conn) in RUNS_NOW  # noqa: E731 - read under the lock
        return run_job(ctx, job, trigger, self.sleep, None, tries, retried, due)

    def _note(self, ctx: Context, job: Job, outcome: Outcome) -> Outcome:
        """Say once (the run that reached the cap says it) that a job waits for its next slot."""
        if outcome.status != "failed" or outcome.run_id is None or ctx.slot is None:
            return outcome
        with self.engine.connect() as conn:
            failures, _last = db.slot_failures(conn, job.name, ctx.slot)
            if failures == MAX_FAILED_RUNS:
                then = next_slot(self.settings, self.clock())
                log.error(
                    "%s failed %d times for the %s run; it waits for the next, %s",
                    job.name,
                    failures,
                    ctx.slot,
                    local_and_utc(then, self.settings.pipeline_timezone),
                )
        return outcome

    def digests_held(self, slot: str, at: datetime, now: datetime) -> bool:
        """True while the slot's feeding jobs are unfinished, for at most digest_wait_hours."""
        if now >= at + timedelta(hours=self.settings.digest_wait_hours):
            return False
        feeding = [job.name for job in self.jobs if job.feeds_digests]
        with self.engine.connect() as conn:
            status = db.slot_status(conn, feeding, slot)
        return any(status.get(name) != "ok" for name in feeding)

    def run_forever(self, stop: threading.Event) -> None:
        """Tick every jobs_tick_seconds until `stop` is set; a failing tick never ends the loop
        (a long job ends early once it is set, to be resumed by the next run)."""
        self.stop = stop
        then = next_slot(self.settings, self.clock())
        where = local_and_utc(then, self.settings.pipeline_timezone)
        log.info("running the job schedule (process %d); next daily run %s", os.getpid(), where)
        outage = Outage(log, "job schedule")
        while not stop.is_set():
            try:
                for outcome in self.tick():
                    if outcome.status == "failed":
                        log.error("job %s failed: %s", outcome.job, outcome.error)
                outage.answered()
            except Exception as exc:  # noqa: BLE001 - the schedule must outlive one bad check
                if not outage.noted(exc):  # one line an outage, not a traceback a tick
                    log.exception("job schedule check failed; trying again at the next tick")
            stop.wait(self.settings.jobs_tick_seconds)
        self.close()

    def close(self) -> None:
        """Release what the jobs kept between runs (the search service's threads)."""
        for value in self.cache.values():
            close = getattr(value, "close", None)
            if callable(close):
                close()
        self.cache.clear()


class Background:
    """A scheduler running in a thread of this process."""

    def __init__(self, settings: Settings, engine: Engine, digests: bool = True) -> None:
        self.stop = threading.Event()
        scheduler = Scheduler(engine, settings, digests=digests)
        self.thread = threading.Thread(
            target=scheduler.run_forever, args=(self.stop,), name="jobs", daemon=True
        )
        self.thread.start()

    def close(self, wait: float = STOP_WAIT) -> bool:
        """Ask it to stop and wait for the job it is in to end (an embedding run ends after its
        batch); True when it did. A process must not exit while a job is inside the model."""
        self.stop.set()
        self.thread.join(wait)
        return not self.thread.is_alive()


def start_scheduler(settings: Settings, engine: Engine, digests: bool = True) -> Background:
    """Run the scheduler in a background thread of this process; `close` it to stop it."""
    log_to_stderr()
    return Background(settings, engine, digests)


def log_to_stderr() -> None:
    """Say each job run and the schedule's warnings on standard error, with the time (serve,
    worker: a service's log)."""
    pipeline = logging.getLogger("paperfeed.pipeline")
    if not pipeline.handlers:
        handler = StderrHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        pipeline.addHandler(handler)
        pipeline.setLevel(logging.INFO)
