"""When each job runs next, derived from the settings and the store alone, so that every node,
every restart, `jobs list` and /admin agree: the daily slots, the backoff after failed runs
(doubling from job_retry_delay, counted from the end of the last), the cap per slot, resumes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from paperfeed.pipeline.registry import Job
from paperfeed.settings import Settings
from paperfeed.store import jobs as db

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_FAILED_RUNS = 5  # failed scheduled runs of a job per slot; then it waits for the next slot
RUNS_NOW = ("due", "resume", "running", "cut short", "retry next")  # plans the next check acts on


class BadSchedule(ValueError):
    """The pipeline time, time zone or days cannot be read."""


def _parse(settings: Settings) -> tuple[int, int, ZoneInfo, set[int]]:
    try:
        hour, minute = (int(x) for x in settings.pipeline_time.split(":"))
        zone = ZoneInfo(settings.pipeline_timezone)
        days = {DAYS.index(d.strip()[:3].lower()) for d in settings.pipeline_days.split(",")}
    except (ValueError, KeyError) as exc:
        raise BadSchedule(f"cannot read the pipeline schedule: {exc}") from exc
    return hour, minute, zone, days


def _slot_times(settings: Settings, now: datetime, days_back: range) -> list[datetime]:
    hour, minute, zone, days = _parse(settings)
    local = now.astimezone(zone).date()
    found = []
    for back in days_back:
        day = local - timedelta(days=back)
        if day.weekday() in days:
            found.append(datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone))
    return found


def current_slot(settings: Settings, now: datetime) -> tuple[str, datetime]:
    """The newest scheduled run at or before `now`: its day (the slot id) and its time in UTC."""
    for at in _slot_times(settings, now, range(8)):
        if at <= now:
            return at.date().isoformat(), at.astimezone(UTC)
    raise BadSchedule("the pipeline has no days to run on (PAPERFEED_PIPELINE_DAYS)")


def next_slot(settings: Settings, now: datetime) -> datetime:
    """The first scheduled run after `now`, in the schedule's time zone."""
    for at in _slot_times(settings, now, range(0, -9, -1)):
        if at > now:
            return at
    raise BadSchedule("the pipeline has no days to run on (PAPERFEED_PIPELINE_DAYS)")


def backoff(settings: Settings, failures: int) -> timedelta:
    """The wait after a slot's `failures`th failed run: job_retry_delay, doubling."""
    return timedelta(seconds=settings.job_retry_delay * 2 ** max(failures - 1, 0))


@dataclass(frozen=True)
class Plan:
    """When a job runs next and why: due (at the next check), retry (after a failed run's
    backoff), retry next (its first attempt failed; retried after the check's other jobs), gave
    up (failed MAX_FAILED_RUNS times this slot), resume (a run was cut short),
    running, cut short (recorded as running, but no process holds its lock), scheduled (the
    next slot), or every check (digests)."""

    job: str
    why: str
    at: datetime | None  # aware; None: at every check
    failures: int = 0  # failed runs in the current slot


def plan(conn: Connection, settings: Settings, job: Job, now: datetime) -> Plan:
    """When `job` runs next, as of `now`."""
    if job.name == "digests":
        return Plan(job.name, "every check", None)
    slot, _at = current_slot(settings, now)
    upcoming = next_slot(settings, now)
    status = db.slot_status(conn, [job.name], slot).get(job.name)
    if status == "ok":
        cut = db.to_resume(conn, job.name)
        return Plan(job.name, "resume", now) if cut else Plan(job.name, "scheduled", upcoming)
    if status == "running":
        # A run whose process was killed stays "running" in the store until the next check.
        alive = db.lock_taken(conn, job.name)
        return Plan(job.name, "running" if alive else "cut short", now)
    failures, last = db.slot_failures(conn, job.name, slot)
    if db.waits_for_retry(conn, job.name, slot):
        return Plan(job.name, "retry next", now, failures)
    if failures >= MAX_FAILED_RUNS:
        return Plan(job.name, "gave up", upcoming, failures)
    if failures and last is not None:
        retry = last.replace(tzinfo=UTC) + backoff(settings, failures)
        if retry > now:
            return Plan(job.name, "retry", retry, failures)
    return Plan(job.name, "due", now, failures)


def plans(conn: Connection, settings: Settings, jobs: list[Job], now: datetime) -> list[Plan]:
    """Every job's plan, in pipeline order."""
    return [plan(conn, settings, job, now) for job in jobs]


def describe(settings: Settings, now: datetime | None = None) -> dict[str, object]:
    """The schedule in words and values, for `jobs list` and /admin (`utc_time`: the time of
    day in UTC today, the zone's offset taken on `now`'s day)."""
    return {
        "time": settings.pipeline_time,
        "timezone": settings.pipeline_timezone,
        "utc_time": _utc_time(settings, now or datetime.now(UTC)),
        "days": [d.strip()[:3].lower() for d in settings.pipeline_days.split(",") if d.strip()],
        "retry_delay_s": settings.job_retry_delay,
        "attempts": settings.job_max_attempts,
        "max_failed_runs": MAX_FAILED_RUNS,
        "tick_s": settings.jobs_tick_seconds,
    }


def _utc_time(settings: Settings, now: datetime) -> str:
    zone = ZoneInfo(settings.pipeline_timezone)
    hour, minute = (int(part) for part in settings.pipeline_time.split(":"))
    local = now.astimezone(zone).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return f"{local.astimezone(UTC):%H:%M}"


def outcome_words(status: str, counts: Mapping[str, object]) -> str:
    """A run's outcome as /admin and `jobs list` say it: a job with nothing configured for it
    was skipped, not "ok"."""
    if status == "ok" and counts.get("disabled"):
        return "skipped (nothing configured for it)"
    if status == "ok" and counts.get("nothing_due"):
        return "ok (checked: nothing due)"
    if status == db.RETRYING:
        return "failed (its retry follows the other jobs)"
    return status


def counts_words(counts: Mapping[str, object]) -> str:
    """A run's counts as a line: "added 12, updated 3"; a flag named when set ("busy"), left
    out when not (the digests' counts showed "busy False, mail_server_down False")."""
    said = []
    for key, value in counts.items():
        if key in ("disabled", "nothing_due") or value is None or value is False or value == []:
            continue
        said.append(key if value is True else f"{key} {value}")
    return ", ".join(said)


def in_words(p: Plan, zone: str) -> str:
    """A plan in words: 'retry at 2026-12-04 20:07 EST (2026-12-05 01:07 UTC), after 2 failed
    runs'."""
    when = local_and_utc(p.at, zone) if p.at is not None else ""
    failed = f"after {p.failures} failed run{'' if p.failures == 1 else 's'}"
    return {
        "due": "at the next check",
        "resume": "at the next check, to finish a run that was cut short",
        "running": "running now",
        "cut short": "at the next check, to finish a run whose process is gone",
        "retry next": "retried after the other jobs of this check (its first attempt failed)",
        "retry": f"retry at {when}, {failed}",
        "gave up": f"{when}: gave up for this day {failed}",
        "scheduled": when,
        "every check": "at every check of the schedule",
    }.get(p.why, p.why)


def local_and_utc(at: datetime, zone: str) -> str:
    """A time in the schedule's zone, and in UTC when that differs."""
    local = at.astimezone(ZoneInfo(zone))
    utc = at.astimezone(UTC)
    same = local.utcoffset() == timedelta(0)
    tail = "" if same else f" ({utc:%Y-%m-%d %H:%M} UTC)"
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}{tail}"
