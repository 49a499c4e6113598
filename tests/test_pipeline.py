"""The daily pipeline: a fake clock, recorded arXiv and Hugging Face responses, a killed worker."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select

from paperfeed.pipeline import (
    Context,
    Job,
    Scheduler,
    current_slot,
    find_job,
    registry,
    run_job,
)
from paperfeed.settings import Settings
from paperfeed.store import jobs as db
from paperfeed.store import open_store
from paperfeed.store.tables import papers
from tests.replay import Reply, Request, fixture_bytes, replay

RAW_PAGE = fixture_bytes("oai", "arXivRaw-mikesaelim", "ListRecordsResponse.xml")
LAST_PAGE = fixture_bytes("oai", "arXiv-hepcrawl", "arxiv-physics-hep-th.xml")
HF = fixture_bytes("hf", "daily_papers.2024-10-25.first4.json")
TOKEN = "726959|1001"
EASTERN = ZoneInfo("America/New_York")
MONDAY_EVENING = datetime(2026, 11, 30, 20, 10, tzinfo=EASTERN)


def sources(hf_status: int = 200) -> Callable[[Request], Reply]:
    def handle(req: Request) -> Reply:
        if req.path.startswith("/github/"):
            return Reply(b'{"message": "Not Found"}', 404, {}, "application/json")
        if req.path.startswith("/hub/"):
            return Reply(b"[]", 200, {}, "application/json")
        if req.path.startswith("/api/daily_papers"):
            return Reply(HF if hf_status == 200 else b"down", hf_status, {}, "application/json")
        return Reply(LAST_PAGE if req.params.get("resumptionToken") == TOKEN else RAW_PAGE)

    return handle


def pipeline_settings(settings: Settings, url: str, **extra: object) -> Settings:
    update = {
        "harvest_sets": "cs",
        "oai_base_url": url + "/oai",
        "hf_daily_url": url + "/api/daily_papers",
        "github_api_url": url + "/github",
        "hub_api_url": url + "/hub",
        "embed_model": "static",
        "http_retries": 0,
        "job_max_attempts": 2,
        "job_retry_delay": 30.0,
    }
    return settings.model_copy(update=update | extra)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def with_fake_digests(sent: list[datetime]) -> list[Job]:
    def digests(ctx: Context) -> dict[str, object]:
        sent.append(ctx.now)
        return {"sent": 1}

    return [j for j in registry() if j.name != "digests"] + [
        Job("digests", digests, "test digests", feeds_digests=False)
    ]


def ok_runs(engine: Engine) -> list[tuple[str, str | None]]:
    with engine.connect() as conn:
        return sorted((r.job, r.slot) for r in db.recent_runs(conn, 100) if r.status == "ok")


def test_slots_follow_arxiv_announcements(sqlite_settings: Settings) -> None:
    def slot(*args: int) -> str:
        return current_slot(sqlite_settings, datetime(*args, tzinfo=EASTERN))[0]

    assert slot(2026, 11, 30, 20, 4) == "2026-11-29"  # Monday before 20:05: Sunday's
    assert slot(2026, 11, 30, 20, 5) == "2026-11-30"
    assert slot(2026, 12, 5, 12, 0) == "2026-12-03"  # Saturday: Thursday's
    assert slot(2026, 12, 6, 21, 0) == "2026-12-06"  # Sunday evening
    later = sqlite_settings.model_copy(update={"pipeline_time": "22:30", "pipeline_days": "fri"})
    assert current_slot(later, datetime(2026, 12, 5, 1, 0, tzinfo=UTC))[0] == "2026-11-27"


def test_a_scheduled_day_runs_every_job_once(engine: Engine, settings: Settings) -> None:
    sent: list[datetime] = []
    clock = Clock(MONDAY_EVENING - timedelta(minutes=10))
    with replay(sources()) as server:
        s = pipeline_settings(settings, server.url)
        scheduler = Scheduler(engine, s, clock, jobs=with_fake_digests(sent))
        sunday = scheduler.tick()  # Sunday's slot, not yet run: a fresh install catches up once
        clock.now = MONDAY_EVENING
        outcomes = scheduler.tick()
        again = Scheduler(engine, s, clock, jobs=with_fake_digests(sent)).tick()  # another node
    assert [(o.job, o.status) for o in outcomes] == [
        ("harvest", "ok"),
        ("hf-daily", "ok"),
        ("enrich", "ok"),
        ("embed", "ok"),
        ("zotero", "ok"),
        ("digests", "ok"),
    ]
    # The store says the day's jobs are done: the other node does not even ask for their locks.
    assert [(o.job, o.status) for o in again] == [("digests", "ok")]
    assert sunday[0].counts["inserted"] == 9 and sunday[1].counts["inserted"] == 4
    assert sunday[3].counts["embedded"] == 13
    assert outcomes[0].counts["inserted"] == 0 and outcomes[3].counts["embedded"] == 0
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(papers)).scalar_one() == 13
    runs = ok_runs(engine)
    for day in ("2026-11-29", "2026-11-30"):
        assert [j for j, s in runs if s == day] == [
            "embed",
            "enrich",
            "harvest",
            "hf-daily",
            "zotero",
        ]
    assert len(sent) == 3


def test_a_source_that_is_down_holds_digests_for_a_bounded_time(
    sqlite_settings: Settings,
) -> None:
    engine = open_store(sqlite_settings)
    sent: list[datetime] = []
    sleeps: list[float] = []
    clock = Clock(MONDAY_EVENING)
    with replay(sources(hf_status=503)) as server:
        s = pipeline_settings(sqlite_settings, server.url, digest_wait_hours=2.0)
        scheduler = Scheduler(engine, s, clock, sleeps.append, jobs=with_fake_digests(sent))
        first = {o.job: o for o in scheduler.tick()}
        clock.now += timedelta(minutes=30)
        second = {o.job: o.status for o in scheduler.tick()}
        clock.now = MONDAY_EVENING + timedelta(hours=2, minutes=1)
        third = {o.job: o.status for o in scheduler.tick()}
    assert first["hf-daily"].status == "failed" and "503" in str(first["hf-daily"].error)
    assert sleeps == [30.0] * 3  # one backoff inside each of three failed runs (2 attempts)
    assert "digests" not in first and "digests" not in second
    assert second["hf-daily"] == "failed"  # retried once its backoff (60 s) had passed
    assert third["digests"] == "ok" and sent == [clock.now]
    with engine.connect() as conn:
        runs = db.recent_runs(conn, 20, job="hf-daily")
    assert [r.status for r in runs] == ["failed", "failed", "failed"]
    assert runs[-1].attempts == 2 and "503" in str(runs[-1].error)


def test_a_source_that_is_down_holds_back_no_other_job(sqlite_settings: Settings) -> None:
    """hf-daily answering 503 is retried after the jobs behind it ran, not before them (its
    waits were minutes that enrich, embed and the digests sat behind)."""
    engine = open_store(sqlite_settings)
    events: list[str] = []

    def traced(job: Job) -> Job:
        def run(ctx: Context) -> dict[str, object]:
            events.append(job.name)
            return job.run(ctx)

        return replace(job, run=run)

    jobs = [traced(job) for job in with_fake_digests([])]
    with replay(sources(hf_status=503)) as server:
        s = pipeline_settings(sqlite_settings, server.url, digest_wait_hours=0.0)
        scheduler = Scheduler(
            engine, s, Clock(MONDAY_EVENING), lambda _s: events.append("wait"), jobs
        )
        outcomes = {o.job: o for o in scheduler.tick()}
    assert events == [
        "harvest", "hf-daily", "enrich", "embed", "zotero", "wait", "hf-daily", "digests"
    ]  # fmt: skip
    assert outcomes["embed"].status == "ok" and outcomes["hf-daily"].status == "failed"
    assert outcomes["embed"].counts["embedded"] == 9  # harvest's papers, not held back
    with engine.connect() as conn:  # one row for hf-daily's two tries, as before
        [run] = db.recent_runs(conn, 20, job="hf-daily")
    assert run.status == "failed" and run.attempts == 2 and "503" in str(run.error)


def test_two_runners_at_once_one_runs(engine: Engine, settings: Settings) -> None:
    started, release, calls = threading.Event(), threading.Event(), []

    def slow(ctx: Context) -> dict[str, object]:
        calls.append(1)
        started.set()
        release.wait(20)
        return {"n": 1}

    job = Job("slow", slow, "blocks until released")
    ctx = Context(engine, settings)
    results = []
    first = threading.Thread(target=lambda: results.append(run_job(ctx, job)))
    first.start()
    started.wait(20)
    second = run_job(ctx, job)
    release.set()
    first.join()
    assert second.status == "busy" and results[0].status == "ok" and len(calls) == 1
    with engine.connect() as conn:
        assert [r.status for r in db.recent_runs(conn, job="slow")] == ["ok"]


def test_concurrent_nodes_run_each_scheduled_job_once(engine: Engine, settings: Settings) -> None:
    calls: list[str] = []
    gate = threading.Barrier(2)

    def step(name: str) -> Job:
        def run(ctx: Context) -> dict[str, object]:
            calls.append(name)
            time.sleep(0.2)  # long enough for the other node to find the lock taken
            return {}

        return Job(name, run, name)

    jobs = [step("a"), step("b")]

    def node() -> None:
        gate.wait(10)
        scheduler = Scheduler(engine, settings, Clock(MONDAY_EVENING), jobs=jobs, digests=False)
        for _ in range(3):
            scheduler.tick()

    threads = [threading.Thread(target=node) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(calls) == ["a", "b"]
    assert ok_runs(engine) == [("a", "2026-11-30"), ("b", "2026-11-30")]


def _worker_env(settings: Settings, start: datetime) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFEED_")}
    env = keep | {
        "PAPERFEED_DATA_DIR": str(settings.data_dir),
        "PAPERFEED_HARVEST_SETS": settings.harvest_sets,
        "PAPERFEED_OAI_BASE_URL": settings.oai_base_url,
        "PAPERFEED_HF_DAILY_URL": "",
        "PAPERFEED_EMBED_MODEL": "static",
        "PAPERFEED_REQUEST_DELAY": "0",
        "PAPERFEED_HTTP_TIMEOUT": "30",
        "PAPERFEED_BATCH_SIZE": "1",
        "PAPERFEED_PIPELINE_TIME": start.strftime("%H:%M"),
        "PAPERFEED_PIPELINE_TIMEZONE": "UTC",
        "PAPERFEED_PIPELINE_DAYS": "mon,tue,wed,thu,fri,sat,sun",
        "PAPERFEED_JOBS_TICK_SECONDS": "0.5",
        "PYTHONPATH": str(Path(__file__).parent.parent / "src"),
    }
    if settings.database_url:
        env["PAPERFEED_DATABASE_URL"] = settings.database_url
    return env


def _worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "paperfeed", "worker", "--no-digests"]
    return subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE)


def _runs_when(engine: Engine, done: Callable[[list[db.JobRun]], bool]) -> list[db.JobRun]:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            runs = db.recent_runs(conn, 50)
        if done(runs):
            return runs
        time.sleep(0.2)
    raise AssertionError("the worker did not get there")


def test_a_killed_worker_leaves_work_the_next_worker_finishes_once(
    engine: Engine, settings: Settings
) -> None:
    second_page, hold = threading.Event(), threading.Event()

    def handle(req: Request) -> Reply:
        if req.params.get("resumptionToken") == TOKEN:
            second_page.set()
            hold.wait(60)  # the worker is killed while waiting for this page
        return sources()(req)

    start = datetime.now(UTC) - timedelta(minutes=2)
    with replay(handle) as server:
        env = _worker_env(pipeline_settings(settings, server.url), start)
        first = _worker(env)
        assert second_page.wait(120), first.stderr.read().decode() if first.stderr else ""
        os.kill(first.pid, signal.SIGKILL)
        first.wait(30)
        hold.set()
        with engine.connect() as conn:
            kept = conn.execute(select(func.count()).select_from(papers)).scalar_one()
        second = _worker(env)
        try:
            runs = _runs_when(
                engine, lambda rs: {"harvest", "embed"} <= {r.job for r in rs if r.status == "ok"}
            )
        finally:
            second.terminate()
            second.wait(30)
    assert 0 < kept < 9  # the first page went in before the kill
    harvests = [r for r in runs if r.job == "harvest"]
    assert [r.status for r in harvests] == ["ok", "abandoned"]
    assert harvests[0].counts["inserted"] == 9 - kept and harvests[0].slot == harvests[1].slot
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(papers)).scalar_one() == 9


@pytest.mark.parametrize("name", ["harvest", "hf-daily", "enrich", "embed", "digests"])
def test_every_pipeline_job_is_registered(name: str) -> None:
    assert name in [j.name for j in registry()]


def test_the_scheduler_sends_digests_once_the_days_papers_are_in(
    sqlite_settings: Settings, demo_settings: Settings
) -> None:
    from paperfeed.digest.deliver import SmtpMailer
    from paperfeed.digest.subscribe import confirm, request_subscription
    from tests.digest_support import copy_newest_papers, smtp_sink

    with smtp_sink() as sink:
        s = sqlite_settings.model_copy(
            update={
                "smtp_port": sink.port,
                "secret_key": "d" * 32,
                "digest_send_rate": 0.0,
                "embed_model": "static",
                "hf_daily_url": "",  # no sources configured: the day is "in" at once
                "github_api_url": "",
                "hub_api_url": "",
            }
        )
        engine = open_store(s)
        copy_newest_papers(demo_settings, engine, 1, limit=40)
        prefs = {"max_papers": 3, "send_time": "00:00", "skip_weekends": False}
        request_subscription(engine, s, SmtpMailer(s), "early@example.org", prefs)
        body = sink.to("early@example.org")[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
        confirm(engine, s, body.split("confirm?token=")[1].split()[0])
        sink.received.clear()

        scheduler = Scheduler(engine, s, Clock(MONDAY_EVENING))
        first = {o.job: o for o in scheduler.tick()}
        second = {o.job: o for o in scheduler.tick()}
        with engine.connect() as conn:
            after_second = db.recent_runs(conn, job="digests")
        third = {o.job: o for o in scheduler.tick()}
        scheduler.close()
        digests = sink.to("early@example.org")
    assert first["embed"].counts["embedded"] == 40
    assert first["digests"].status == "ok" and first["digests"].counts["sent"] == 1
    assert second["digests"].status == "ok" and not second["digests"].counts.get("sent")
    assert len(digests) == 1
    # A check that found nothing due is kept as one row, the newest replacing the one before:
    # the job shows as alive (and when it last looked) without a row per tick.
    assert [(r.id, r.counts.get(db.QUIET)) for r in after_second] == [
        (second["digests"].run_id, True),
        (first["digests"].run_id, None),
    ]
    with engine.connect() as conn:
        runs = db.recent_runs(conn, job="digests")
    assert [r.id for r in runs] == [third["digests"].run_id, first["digests"].run_id]
    assert runs[0].id != after_second[0].id and runs[0].counts.get(db.QUIET)


def test_jobs_list_and_run_from_the_command_line(sqlite_settings: Settings) -> None:
    from typer.testing import CliRunner

    from paperfeed.cli import app

    runner = CliRunner()
    env = {"PAPERFEED_DATA_DIR": str(sqlite_settings.data_dir), "PAPERFEED_HF_DAILY_URL": ""}
    ran = runner.invoke(app, ["jobs", "run", "hf-daily"], env=env)
    assert ran.exit_code == 0, ran.output
    assert '"status": "ok"' in ran.output
    listed = runner.invoke(app, ["jobs", "list", "--json"], env=env)
    jobs = {j["name"]: j for j in json.loads(listed.output.splitlines()[-1])}
    assert jobs["hf-daily"]["last_run"]["status"] == "ok"
    assert jobs["harvest"]["last_run"] is None and "digests" in jobs
    unknown = runner.invoke(app, ["jobs", "run", "nope"], env=env)
    assert unknown.exit_code == 1 and "no job 'nope'" in unknown.output
    down = dict(env, PAPERFEED_HF_DAILY_URL="http://127.0.0.1:9/none", PAPERFEED_HTTP_RETRIES="0")
    down |= {"PAPERFEED_JOB_MAX_ATTEMPTS": "1"}
    failed = runner.invoke(app, ["jobs", "run", "hf-daily"], env=down)
    assert failed.exit_code == 1 and "cannot reach" in failed.output
    idle = runner.invoke(app, ["jobs", "run", "harvest"], env=env | {"PAPERFEED_HARVEST_SETS": ""})
    assert idle.exit_code == 0 and '"disabled": 1' in idle.output  # no sets: nothing harvested
    said = runner.invoke(app, ["jobs", "list"], env=env).output  # why it failed, in words too
    assert re.search(
        r"^harvest +skipped \(nothing configured for it\) at \d{4}-\d\d-\d\d \d\d:\d\d UTC ",
        said,
        re.M,
    ), said
    assert re.search(r"^hf-daily +failed at .*\n +why: .*cannot reach", said, re.M), said


class StopAfter(threading.Event):
    """A stop event that reads as set from its `n`th look on (a process told to stop mid-job)."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.looks, self.n = 0, n

    def is_set(self) -> bool:
        self.looks += 1
        return self.looks >= self.n or super().is_set()


def test_a_stopping_process_ends_the_embedding_run_after_a_batch_and_the_next_resumes(
    engine: Engine, settings: Settings
) -> None:
    from paperfeed.models import Paper
    from paperfeed.search.backfill import EMBED_BATCH
    from paperfeed.store import upsert_papers
    from paperfeed.store.search_store import count_vectors, paper_vectors

    s = settings.model_copy(update={"embed_model": "static"})
    count = EMBED_BATCH + 10
    rows = [Paper(f"2601.{i:05d}", f"Paper {i} on graphs", "An abstract.") for i in range(count)]
    with engine.begin() as conn:
        upsert_papers(conn, rows)
    embed = next(j for j in registry() if j.name == "embed")
    # Told to stop after the first batch: the batch is kept, the run is left to be resumed.
    first = run_job(Context(engine, s, stop=StopAfter(2)), embed)
    assert first.status == "interrupted" and "256" in str(first.error)
    with engine.connect() as conn:  # recorded as stopped at once, not left "running"
        [stopped] = db.recent_runs(conn, 5, "embed")
        assert stopped.status == "abandoned" and "the next run resumes it" in str(stopped.error)
        cid = conn.execute(select(func.min(paper_vectors.c.contract_id))).scalar_one()
        assert count_vectors(conn, cid) == EMBED_BATCH
    done = run_job(Context(engine, s), embed)
    assert done.status == "ok" and done.counts == {"embedded": 10}
    with engine.connect() as conn:
        assert [r.status for r in db.recent_runs(conn, 5, "embed")] == ["ok", "abandoned"]


def test_a_stopping_process_does_not_wait_to_retry_a_failed_job(
    engine: Engine, settings: Settings
) -> None:
    """A failed attempt waits job_retry_delay before the next; a process told to stop (SIGTERM)
    ends the run there, recorded, instead of sleeping through its stop timeout."""
    tries: list[int] = []

    def broken(ctx: Context) -> dict[str, object]:
        tries.append(1)
        raise OSError("the source is down")

    s = settings.model_copy(update={"job_max_attempts": 3, "job_retry_delay": 600.0})
    stop = threading.Event()
    stop.set()
    outcome = run_job(Context(engine, s, stop=stop), Job("flaky", broken, "a failing source"))
    assert (outcome.status, len(tries)) == ("interrupted", 1)
    assert "waiting to retry" in str(outcome.error)
    with engine.connect() as conn:
        [run] = db.recent_runs(conn, 5, "flaky")
    assert run.status == "abandoned" and "waiting to retry" in str(run.error)


def test_a_stopping_process_does_not_wait_out_a_sources_http_retries(
    engine: Engine, settings: Settings
) -> None:
    """`jobs run hf-daily` against a source answering 503 took 32 s to end after SIGTERM: the
    HTTP client's own waits between retries did not listen. They end with the process now."""
    asked: list[str] = []
    handler = sources(hf_status=503)

    def counting(request: Request) -> Reply:
        asked.append(request.path)
        return handler(request)

    with replay(counting) as server:
        s = pipeline_settings(settings, server.url, http_retries=5, request_delay=0.0)
        stop = threading.Event()
        stop.set()  # SIGTERM came: the first wait ends the job
        job = find_job("hf-daily")
        assert job is not None
        outcome = run_job(Context(engine, s, stop=stop), job)
    assert outcome.status == "interrupted" and "waiting to ask the source again" in str(
        outcome.error
    )
    assert len([p for p in asked if "daily_papers" in p]) == 1  # no retry was waited for
