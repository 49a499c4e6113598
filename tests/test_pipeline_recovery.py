"""The scheduler after a crash and against a dead source, and what it says about its next runs.

Everything is derived from the store, so that every node and every restart agrees: a run cut
short is finished by the next scheduler; a failing job backs off (doubling, counted from the
end of its last failed run) and gives up for the day after MAX_FAILED_RUNS runs.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from paperfeed.models import Paper
from paperfeed.pipeline import Context, Job, Scheduler, registry
from paperfeed.pipeline.plan import MAX_FAILED_RUNS, next_slot, plan
from paperfeed.settings import Settings
from paperfeed.store import jobs as db
from paperfeed.store import upsert_papers
from tests.test_pipeline import EASTERN, MONDAY_EVENING, Clock

SLOT = "2026-11-30"  # MONDAY_EVENING's slot
STEPS = ("harvest", "hf-daily", "enrich", "embed", "zotero")
DEAD = "another-host:4242"  # a process that is gone (its locks went with it)


def _mark_slot_done(engine: Engine, jobs: tuple[str, ...] = STEPS) -> None:
    at = MONDAY_EVENING.astimezone(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        for name in jobs:
            run = db.start_run(conn, name, SLOT, "schedule", "n1", at)
            db.finish_run(conn, run, "ok", {}, None, at)


def _papers(engine: Engine, n: int) -> None:
    rows = [Paper(f"2601.{i:05d}", f"Paper {i} on graphs", "An abstract.") for i in range(n)]
    with engine.begin() as conn:
        upsert_papers(conn, rows)


@pytest.mark.parametrize("trigger", ["admin", "manual", "schedule"])
def test_a_run_left_running_by_a_dead_process_is_finished_by_the_next_scheduler(
    engine: Engine, settings: Settings, trigger: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Admin's "Run embed now", then kill -9, after the day's slot was done: the restarted
    scheduler marked the run abandoned, logged that it resumed it, and ran nothing."""
    s = settings.model_copy(update={"embed_model": "static"})
    _papers(engine, 12)
    if trigger == "schedule":
        _mark_slot_done(engine, ("harvest", "hf-daily", "enrich", "zotero"))
    else:
        _mark_slot_done(engine)
    with engine.begin() as conn:
        slot = SLOT if trigger == "schedule" else None
        before = (MONDAY_EVENING - timedelta(minutes=5)).astimezone(UTC).replace(tzinfo=None)
        cut = db.start_run(conn, "embed", slot, trigger, DEAD, before)
    jobs = [j for j in registry() if j.name != "digests"]
    scheduler = Scheduler(engine, s, Clock(MONDAY_EVENING), jobs=jobs, digests=False)
    with caplog.at_level(logging.WARNING):
        outcomes = {o.job: o for o in scheduler.tick()}
        again = scheduler.tick()  # finished: nothing more to resume
    assert list(outcomes) == ["embed"] and outcomes["embed"].status == "ok"
    assert outcomes["embed"].counts == {"embedded": 12} and again == []
    assert "embed: a previous run was interrupted; this run resumes it" in caplog.text
    with engine.connect() as conn:
        runs = db.recent_runs(conn, 10, "embed")
        assert db.papers_not_embedded(conn) == 0  # the work is done
    resumed = [(r.id, r.trigger, r.status) for r in runs if r.id >= cut]
    finisher = "schedule" if trigger == "schedule" else "resume"
    assert resumed == [(outcomes["embed"].run_id, finisher, "ok"), (cut, trigger, "abandoned")]


def test_a_run_still_going_elsewhere_is_left_alone(engine: Engine, settings: Settings) -> None:
    """The newest run reads "running" and its runner still holds the job's lock: not resumed."""
    calls: list[int] = []

    def counted(ctx: Context) -> dict[str, object]:
        calls.append(1)
        return {}

    job = Job("embed", counted, "counts its runs")
    _mark_slot_done(engine, ("embed",))
    with engine.begin() as conn:
        db.start_run(conn, "embed", None, "admin", "elsewhere:1")
    scheduler = Scheduler(engine, settings, Clock(MONDAY_EVENING), jobs=[job], digests=False)
    with db.job_lock(engine, "embed", "elsewhere:1:x") as held:
        assert held
        outcomes = scheduler.tick()
    assert [o.status for o in outcomes] == ["busy"] and calls == []
    with engine.connect() as conn:
        assert [r.status for r in db.recent_runs(conn, 5, "embed")][0] == "running"


def test_two_schedulers_back_off_from_the_store_and_give_up_for_the_day(
    engine: Engine, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """A dead source made `serve` and a `worker` take turns re-running it every ~29 s forever
    (each kept its own backoff in memory, counted from its tick, with no end)."""
    ran_by: list[int] = []

    def dead(ctx: Context) -> dict[str, object]:
        ran_by.append(id(ctx.cache))  # which scheduler: each keeps its own cache
        raise OSError("connection refused")

    s = settings.model_copy(update={"job_max_attempts": 1, "job_retry_delay": 60.0})
    clock = Clock(MONDAY_EVENING)
    jobs = [Job("harvest", dead, "a dead source")]
    nodes = [Scheduler(engine, s, clock, jobs=jobs, digests=False) for _ in range(2)]
    with caplog.at_level(logging.ERROR):
        for step in range(2 * 60 * 3):  # two hours, a check every 20 s, the nodes in turn
            clock.now = MONDAY_EVENING + timedelta(seconds=20 * step)
            nodes[step % 2].tick()
    with engine.connect() as conn:
        runs = sorted(db.recent_runs(conn, 50, "harvest"), key=lambda r: r.id)
        gave_up = plan(conn, s, jobs[0], clock.now)
    assert [r.status for r in runs] == ["failed"] * MAX_FAILED_RUNS
    assert {r.slot for r in runs} == {SLOT} and len(set(ran_by)) == 2  # both nodes ran it
    start = runs[0].started_at
    # Each wait doubles from the retry delay, counted from the end of the last failed run.
    assert [(r.started_at - start).total_seconds() for r in runs] == [0, 60, 180, 420, 900]
    assert gave_up.why == "gave up" and gave_up.at == next_slot(s, clock.now)
    assert gave_up.at == datetime(2026, 12, 1, 20, 5, tzinfo=EASTERN)
    said = [r.getMessage() for r in caplog.records if "failed 5 times" in r.getMessage()]
    assert said == [  # once, by the node whose run was the last
        "harvest failed 5 times for the 2026-11-30 run; it waits for the next, "
        "2026-12-01 20:05 EST (2026-12-02 01:05 UTC)"
    ]
    clock.now = datetime(2026, 12, 1, 20, 5, tzinfo=EASTERN)  # the next slot: tried again
    nodes[0].tick()
    with engine.connect() as conn:
        newest = db.recent_runs(conn, 1, "harvest")[0]
    assert (newest.slot, newest.status) == ("2026-12-01", "failed")


def test_a_restarted_scheduler_keeps_the_backoff(engine: Engine, settings: Settings) -> None:
    """The wait after a failed run is read from the store, not kept in the process."""
    calls: list[datetime] = []

    def dead(ctx: Context) -> dict[str, object]:
        calls.append(ctx.now)
        raise OSError("down")

    s = settings.model_copy(update={"job_max_attempts": 1, "job_retry_delay": 600.0})
    clock = Clock(MONDAY_EVENING)
    jobs = [Job("harvest", dead, "a dead source")]
    Scheduler(engine, s, clock, jobs=jobs, digests=False).tick()
    clock.now += timedelta(seconds=599)
    assert Scheduler(engine, s, clock, jobs=jobs, digests=False).tick() == []  # a new process
    clock.now += timedelta(seconds=1)
    Scheduler(engine, s, clock, jobs=jobs, digests=False).tick()
    assert calls == [MONDAY_EVENING, MONDAY_EVENING + timedelta(seconds=600)]


def _cli_env(settings: Settings) -> dict[str, str]:
    env = {
        "PAPERFEED_DATA_DIR": str(settings.data_dir),
        "PAPERFEED_PIPELINE_TIME": "20:05",
        "PAPERFEED_PIPELINE_TIMEZONE": "America/New_York",
        "PAPERFEED_PIPELINE_DAYS": "mon,wed",
    }
    if settings.database_url:
        env["PAPERFEED_DATABASE_URL"] = settings.database_url
    return env


def test_jobs_list_says_when_each_job_runs_next(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from paperfeed.cli import app
    from paperfeed.pipeline import commands

    monkeypatch.setattr(commands, "now", lambda: MONDAY_EVENING)
    runner, env = CliRunner(), _cli_env(settings)

    def listed() -> dict[str, dict[str, object]]:
        out = runner.invoke(app, ["jobs", "list", "--json"], env=env).output
        return {j["name"]: j for j in json.loads(out.splitlines()[-1])}

    before = listed()
    assert before["harvest"]["next_run_reason"] == "due"
    assert before["harvest"]["next_run"] == "2026-11-30T20:10:00-05:00"
    _mark_slot_done(engine)
    with engine.begin() as conn:
        db.note_schedule_check(conn, MONDAY_EVENING, 4321)
    after = listed()
    assert after["embed"]["next_run"] == "2026-12-02T20:05:00-05:00"  # Monday's done: Wednesday
    assert after["embed"]["next_run_utc"] == "2026-12-03T01:05:00+00:00"
    assert after["embed"]["next_run_reason"] == "scheduled"
    assert after["digests"]["next_run"] is None
    schedule = after["embed"]["schedule"]
    assert isinstance(schedule, dict)
    assert (schedule["time"], schedule["timezone"], schedule["days"]) == (
        "20:05",
        "America/New_York",
        ["mon", "wed"],
    )
    assert schedule["last_check"] == "2026-12-01T01:10:00+00:00"
    assert schedule["last_check_pid"] == 4321
    last = after["embed"]["last_run"]
    assert isinstance(last, dict) and last["started_at"] == "2026-12-01T01:10:00+00:00"
    text = runner.invoke(app, ["jobs", "list"], env=env).output
    assert text.startswith("schedule: 20:05 America/New_York on mon,wed; last checked ")
    assert "embed      ok at 2026-12-01 01:10 UTC" in text  # as the "next:" lines write it
    assert "next: 2026-12-02 20:05 EST (2026-12-03 01:05 UTC)" in text


def test_admin_shows_the_schedule_and_each_jobs_next_run(
    site: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paperfeed.store.accounts import set_admin
    from paperfeed.web import admin
    from tests.web_support import client, sign_up

    monkeypatch.setattr(admin, "now", lambda: MONDAY_EVENING)
    s = site.model_copy(update={"pipeline_days": "mon,wed", "job_max_attempts": 1})
    _mark_slot_done(engine, ("harvest", "enrich", "embed"))
    at = MONDAY_EVENING.astimezone(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        for _ in range(MAX_FAILED_RUNS):
            run = db.start_run(conn, "hf-daily", SLOT, "schedule", "n1", at)
            db.finish_run(conn, run, "failed", {}, "HTTP 503", at)
    with client(s, engine) as c:
        sign_up(c, "root")
        with engine.begin() as conn:
            set_admin(conn, "root", True)
        page = c.get("/admin").text
        cookies = dict(c.cookies)
    assert "Schedule: daily at 20:05 America/New_York (01:05 UTC today) on mon, wed" in page
    assert "No process has checked it yet</b>, so no job below runs on its own" in page
    embed = page.split('data-next-job="embed"')[1].split("</li>")[0]
    assert 'data-next="2026-12-02T20:05:00-05:00"' in embed
    assert "2026-12-02 20:05 EST (2026-12-03 01:05 UTC)" in embed
    hf = page.split('data-next-job="hf-daily"')[1].split("</li>")[0]
    assert "2026-12-02 20:05 EST (2026-12-03 01:05 UTC): gave up for this day after 5" in hf
    with engine.begin() as conn:
        db.note_schedule_check(conn, MONDAY_EVENING, os.getpid())
    with client(s, engine) as c:
        c.cookies.update(cookies)
        here = c.get("/admin").text
    assert "Last checked 2026-12-01 01:10:00 UTC by this server" in here
