"""An operator's first week: two nodes at the morning run, settings from the environment, the
morning run in the log."""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

from paperfeed.pipeline import Context, Job, Scheduler, current_slot
from paperfeed.pipeline.commands import job_rows
from paperfeed.pipeline.plan import describe
from paperfeed.settings import Settings
from paperfeed.store import jobs as db
from paperfeed.store import open_store
from tests.replay import Reply, Request, replay
from tests.test_pipeline import (
    EASTERN,
    MONDAY_EVENING,
    Clock,
    _runs_when,
    _worker,
    _worker_env,
    pipeline_settings,
    sources,
    with_fake_digests,
)


def test_a_node_finding_a_job_running_elsewhere_leaves_the_jobs_after_it_to_that_node(
    engine: Engine, settings: Settings
) -> None:
    inside, release = threading.Event(), threading.Event()
    events: list[str] = []

    def harvest(ctx: Context) -> dict[str, object]:
        inside.set()
        release.wait(60)
        events.append("harvested")
        return {}

    def embed(ctx: Context) -> dict[str, object]:
        events.append("embedded")
        return {}

    jobs = [Job("harvest", harvest, "h"), Job("embed", embed, "e")]

    def node() -> Scheduler:
        return Scheduler(engine, settings, Clock(MONDAY_EVENING), jobs=jobs, digests=False)

    first = threading.Thread(target=node().tick)
    first.start()
    assert inside.wait(60)
    second = node().tick()  # the other node's check while the harvest runs on the first
    release.set()
    first.join(60)
    assert [(o.job, o.status) for o in second] == [("harvest", "busy")]
    assert events == ["harvested", "embedded"]  # the day's papers are in before embedding
    assert [(o.job, o.status) for o in node().tick()] == []  # nothing left for the day


@pytest.mark.parametrize(
    ("days", "read"),
    [
        ("mon tue wed", ["mon", "tue", "wed"]),  # spaces, as PAPERFEED_HARVEST_SETS takes them
        ("mon,tue,wed,", ["mon", "tue", "wed"]),  # a trailing comma
        ("Monday, Tuesday, Wednesday", ["mon", "tue", "wed"]),
        ("tues,wed,wed,mon", ["tue", "wed", "mon"]),
    ],
)
def test_pipeline_days_from_the_environment_are_read_as_written(
    days: str, read: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERFEED_PIPELINE_DAYS", days)
    monkeypatch.setenv("PAPERFEED_PIPELINE_TIME", "6:5")
    settings = Settings(data_dir=tmp_path)
    assert describe(settings)["days"] == read and describe(settings)["time"] == "06:05"
    tuesday_morning = datetime(2026, 12, 1, 6, 10, tzinfo=EASTERN)
    assert current_slot(settings, tuesday_morning)[0] == "2026-12-01"


@pytest.mark.parametrize("days", ["monkey", "mo,tu", "mon,tue,noday"])
def test_a_word_that_is_no_day_is_refused(
    days: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERFEED_PIPELINE_DAYS", days)
    with pytest.raises(ValidationError, match="name days as mon,tue"):
        Settings(data_dir=tmp_path)


def test_the_worker_log_says_what_the_morning_run_did(pg_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=pg_url, _env_file=None)
    engine = open_store(settings)
    start = datetime.now(UTC) - timedelta(minutes=2)  # the day's run time: just gone
    with replay(sources()) as server:
        env = _worker_env(pipeline_settings(settings, server.url), start)
        worker = _worker(env)
        try:
            _runs_when(engine, lambda rs: "embed" in {r.job for r in rs if r.status == "ok"})
        finally:
            worker.terminate()
            _out, err = worker.communicate(timeout=60)
    engine.dispose()
    log = err.decode()
    slot = start.date().isoformat()
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO paperfeed\.pipeline\.runner: "
    assert re.search(
        stamp + rf"harvest ok \(schedule run for {slot}\) in [\d.]+ s: .*inserted 9", log
    ), log
    assert re.search(
        rf"hf-daily ok \(schedule run for {slot}\) .*: skipped \(not configured\)", log
    )
    assert re.search(r"embed ok \(.*\) in [\d.]+ s: embedded 9", log), log
    assert re.search(r"running the job schedule \(process \d+\); next daily run ", log), log


def test_jobs_list_tells_a_killed_run_from_one_still_going(
    engine: Engine, settings: Settings
) -> None:
    """kill -9 during the harvest leaves its run "running" in the store: `jobs list` and /admin
    say the next check finishes it, not that it runs now; a run whose process lives runs now."""
    at = MONDAY_EVENING.astimezone(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        db.start_run(conn, "harvest", "2026-11-30", "schedule", "gone-host:4242", at)

    def harvest_row() -> dict[str, object]:
        return next(r for r in job_rows(engine, settings, MONDAY_EVENING) if r["name"] == "harvest")

    killed = harvest_row()
    assert killed["next_run_reason"] == "cut short"
    assert "to finish a run whose process is gone" in str(killed["next_run_words"])
    with db.job_lock(engine, "harvest", f"{db.node_name()}:live") as held:
        assert held
        going = harvest_row()
    assert (going["next_run_reason"], going["next_run_words"]) == ("running", "running now")
    ran: list[str] = []

    def harvest(ctx: Context) -> dict[str, object]:
        ran.append("harvest")
        return {}

    jobs = [Job("harvest", harvest, "h")]
    Scheduler(engine, settings, Clock(MONDAY_EVENING), jobs=jobs, digests=False).tick()
    assert ran == ["harvest"] and harvest_row()["next_run_reason"] == "scheduled"


def test_doctor_on_a_new_empty_database_says_to_init_it(pg_url: str, tmp_path: Path) -> None:
    from paperfeed.doctor import Findings, check_store

    settings = Settings(data_dir=tmp_path / "data", database_url=pg_url, _env_file=None)
    found = Findings()
    check_store(settings, found)
    said = found.problems
    assert any("run `paperfeed init`" in line for line in said), said
    assert not any("backup" in line for line in said), said


def test_a_harvest_that_succeeds_on_its_retry_has_its_papers_embedded_before_the_digests(
    engine: Engine, settings: Settings
) -> None:
    """arXiv answered 503 once: the harvest's retry (after the other jobs) brought the day's
    papers in after embed had run, and they waited unembedded for the next day's run."""
    asked: list[str] = []
    sent: list[datetime] = []

    def flaky(req: Request) -> Reply:
        if req.path == "/oai" and not asked:
            asked.append("503")
            return Reply(b"busy", 503, {}, "text/plain")
        return sources()(req)

    with replay(flaky) as server:
        s = pipeline_settings(settings, server.url)
        scheduler = Scheduler(
            engine, s, Clock(MONDAY_EVENING), lambda _s: None, with_fake_digests(sent)
        )
        outcomes = [(o.job, o.status, o.counts.get("embedded")) for o in scheduler.tick()]
    assert ("harvest", "ok", None) in outcomes and ("embed", "ok", 9) in outcomes, outcomes
    assert [o for o in outcomes if o[0] == "embed"] == [("embed", "ok", 4), ("embed", "ok", 9)]
    assert outcomes[-1][0] == "digests" and len(sent) == 1  # after the follow-up embedding
    with engine.connect() as conn:
        assert db.papers_not_embedded(conn) == 0
        embeds = [(r.trigger, r.slot) for r in db.recent_runs(conn, 20, "embed")]
    assert embeds == [("follow-up", None), ("schedule", "2026-11-30")]


def test_a_stopping_server_starts_no_further_job(engine: Engine, settings: Settings) -> None:
    """systemctl stop during the harvest: the harvest ended, then hf-daily and enrich still ran
    (and the digests would have), eating the 30 s systemd gives before its SIGKILL."""
    stop, ran = threading.Event(), []

    def step(name: str, then_stop: bool = False) -> Job:
        def run(ctx: Context) -> dict[str, object]:
            ran.append(name)
            if then_stop:
                stop.set()  # SIGTERM arrives while this job runs
            return {}

        return Job(name, run, name)

    digests = replace(step("digests"), feeds_digests=False)
    jobs = [step("harvest", then_stop=True), step("enrich"), digests]
    scheduler = Scheduler(engine, settings, Clock(MONDAY_EVENING), jobs=jobs)
    scheduler.stop = stop
    outcomes = scheduler.tick()
    assert ran == ["harvest"] and [(o.job, o.status) for o in outcomes] == [("harvest", "ok")]
    Scheduler(engine, settings, Clock(MONDAY_EVENING), jobs=jobs).tick()  # after the restart
    assert ran == ["harvest", "enrich", "digests"]


def _failing_once_then(
    seen: list[dict[str, object]],
    engine: Engine,
    settings: Settings,
    stop: threading.Event | None = None,
) -> list[Job]:
    """A harvest whose first attempt fails, and an embed that reads `jobs list` as it runs."""
    tries: list[int] = []

    def harvest(ctx: Context) -> dict[str, object]:
        tries.append(1)
        if len(tries) == 1:
            raise ConnectionError("arXiv answered 503")
        return {"inserted": 3}

    def embed(ctx: Context) -> dict[str, object]:
        rows = job_rows(engine, settings, MONDAY_EVENING)
        seen.append(next(r for r in rows if r["name"] == "harvest"))
        if stop is not None:
            stop.set()  # SIGTERM arrives while the other jobs run
        return {}

    return [Job("harvest", harvest, "h"), Job("embed", embed, "e")]


def test_a_job_waiting_for_its_retry_is_listed_as_failed_not_as_never_run(
    engine: Engine, settings: Settings
) -> None:
    """The harvest's first attempt failed and its retry waited behind a long embedding run:
    `jobs list` and /admin said the harvest had never run and would run "at the next check"."""
    seen: list[dict[str, object]] = []
    jobs = _failing_once_then(seen, engine, settings)
    scheduler = Scheduler(
        engine, settings, Clock(MONDAY_EVENING), lambda _s: None, jobs=jobs, digests=False
    )
    outcomes = [(o.job, o.status) for o in scheduler.tick()]
    assert outcomes == [("harvest", "ok"), ("embed", "ok")], outcomes
    waiting = seen[0]
    last = waiting["last_run"]
    assert isinstance(last, dict) and last["status"] == "retrying", waiting
    assert "arXiv answered 503" in str(last["error"])
    assert waiting["next_run_reason"] == "retry next"
    assert "first attempt failed" in str(waiting["next_run_words"])
    with engine.connect() as conn:
        runs = [(r.status, r.attempts) for r in db.recent_runs(conn, 10, "harvest")]
        counted = db.run_counts(conn)
    assert runs == [("ok", 2)], runs  # the retry replaced the row that waited for it
    assert ("harvest", "retrying") not in counted


def test_a_retry_that_a_stop_cut_off_is_recorded_as_a_failed_run(
    engine: Engine, settings: Settings
) -> None:
    seen: list[dict[str, object]] = []
    stop = threading.Event()
    jobs = _failing_once_then(seen, engine, settings, stop)
    scheduler = Scheduler(
        engine, settings, Clock(MONDAY_EVENING), lambda _s: None, jobs=jobs, digests=False
    )
    scheduler.stop = stop
    scheduler.tick()
    with engine.connect() as conn:
        runs = [r.status for r in db.recent_runs(conn, 10, "harvest")]
    assert runs == ["failed"], runs
    row = next(r for r in job_rows(engine, settings, MONDAY_EVENING) if r["name"] == "harvest")
    assert row["next_run_reason"] == "retry", row  # after its backoff, as any failed run
