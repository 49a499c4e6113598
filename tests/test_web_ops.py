"""Health, readiness, Prometheus metrics, the access log and the admin console."""

from __future__ import annotations

import json
import logging
import re
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, select, text, update

from paperfeed.settings import Settings
from paperfeed.store import jobs as db
from paperfeed.store.accounts import set_admin
from paperfeed.store.digest_tables import outbox
from paperfeed.web.deps import Site
from tests.digest_support import add_outbox_message
from tests.web_support import client, post_form, sign_up


def samples(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def test_health_and_readiness(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        assert c.get("/healthz").status_code == 200
        cold = c.get("/readyz")
        assert cold.status_code == 503 and "search indexes not loaded" in cold.text
        c.app.state.site.warm_search()  # type: ignore[attr-defined]
        ready = c.get("/readyz")
        assert ready.status_code == 200 and ready.json() == {"ready": True, "problems": []}
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0003'"))
        stale = c.get("/readyz")
    assert stale.status_code == 503 and "schema is at 0003" in stale.text


def test_metrics_count_routes_searches_and_queues(site: Settings, engine: Engine) -> None:
    with engine.begin() as conn:
        run = db.start_run(conn, "harvest", None, "manual", "n1")
        db.finish_run(conn, run, "ok", {"read": 42, "skipped": 2}, None)
    with client(site, engine) as c:
        for _ in range(2):
            assert c.get("/papers/2606.99999").status_code == 200
        assert c.get("/api/papers/search", params={"q": "attention", "mode": "keyword"}).is_success
        body = c.get("/metrics")
    assert body.headers["content-type"].startswith("text/plain")
    found = samples(body.text)
    route = (("method", "GET"), ("route", "/papers/{paper_id:path}"), ("status", "200"))
    cached = (("method", "GET"), ("route", "(cached page)"), ("status", "200"))
    # The second may be answered from the cache before routing (once the data version is known).
    assert found[("paperfeed_http_requests_total", route)] >= 1
    assert (
        found[("paperfeed_http_requests_total", route)]
        + found.get(("paperfeed_http_requests_total", cached), 0)
        == 2
    )
    assert found[("paperfeed_search_duration_seconds_count", (("mode", "keyword"),))] == 1
    assert found[("paperfeed_job_runs", (("job", "harvest"), ("status", "ok")))] == 1
    assert found[("paperfeed_job_last_records", (("job", "harvest"),))] == 42
    assert found[("paperfeed_job_last_errors", (("job", "harvest"),))] == 2
    assert found[("paperfeed_papers_not_embedded", ())] > 0


def test_access_log_lines(site: Settings, engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("paperfeed.access")
    logger.propagate = True  # let caplog see what the handler would print
    json_log = site.model_copy(update={"access_log": "json"})
    with caplog.at_level(logging.INFO, "paperfeed.access"), client(json_log, engine) as c:
        c.get("/healthz")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "paperfeed.access"]
    assert {"path": "/healthz", "status": 200, "method": "GET"}.items() <= (lines[-1].items())


def _failed_message(engine: Engine) -> int:
    with engine.begin() as conn:
        return add_outbox_message(
            conn, "a@example.org", last_error="550 mailbox <b>unavailable</b>"
        )


def test_admin_console_is_for_admins(site: Settings, engine: Engine) -> None:
    with client(site, engine) as anon, client(site, engine) as user:
        first = anon.get("/admin", follow_redirects=False)
        assert first.status_code == 303 and first.headers["location"] == "/signin?next=/admin"
        sign_up(user, "someone")
        assert user.get("/admin").status_code == 403
        assert post_form(user, "/admin/jobs/harvest/run", {}).status_code == 403


def test_admin_runs_jobs_retries_mail_and_manages_users(site: Settings, engine: Engine) -> None:
    failed = _failed_message(engine)
    with client(site, engine) as admin, client(site, engine) as other:
        sign_up(admin, "root")
        sign_up(other, "mallory")
        with engine.begin() as conn:
            set_admin(conn, "root", True)
        page = admin.get("/admin").text
        assert "550 mailbox &lt;b&gt;unavailable&lt;/b&gt;" in page  # reasons shown, escaped
        assert "The mail server cannot be reached" not in page
        with engine.begin() as conn:
            down = "cannot open an SMTP session: ConnectionRefusedError(111)"
            add_outbox_message(conn, "b@example.org", status="pending", attempts=0, last_error=down)
        alert = admin.get("/admin").text
        assert "The mail server cannot be reached: 1 email waits" in alert and down in alert
        with engine.begin() as conn:  # an enrich run's counts, one of them unset
            run = db.start_run(conn, "enrich", None, "manual", "node")
            db.finish_run(conn, run, "ok", {"stars": 3, "rate_limited_until": None}, None)
            quiet = db.start_run(conn, "digests", None, "schedule", "node")
            db.keep_quiet_run(
                conn, "digests", quiet, {"composed": 0, "sent": 0, "busy": False, "late": True}
            )
        counts = admin.get("/admin").text
        assert "stars 3" in counts and "rate_limited_until" not in counts  # no raw "None"
        digests = counts.split('data-job="digests"')[1].split("</tr>")[0]
        assert "ok (checked: nothing due)" in digests and "never" not in digests
        assert "busy" not in digests and "False" not in digests  # a flag named only when set
        cell = re.findall(r"<td><small>([^<]*)</small></td>", digests)
        assert [sorted(c.split(", ")) for c in cell] == [["composed 0", "late", "sent 0"]]
        assert "nothing_due" not in digests
        with engine.begin() as conn:
            db.delete_run(conn, run)
            db.delete_run(conn, quiet)
        assert post_form(admin, "/admin/jobs/nope/run", {}).status_code == 404
        with db.job_lock(engine, "harvest", "another-node:1") as held:  # running elsewhere
            assert held
            busy = post_form(admin, "/admin/jobs/harvest/run", {})
        assert busy.status_code == 303 and "already+running+elsewhere" in busy.headers["location"]
        assert (
            "harvest is already running elsewhere; nothing was started"
            in admin.get(busy.headers["location"]).text
        )
        ran = post_form(admin, "/admin/jobs/harvest/run", {})
        assert ran.status_code == 303
        if "ran" in ran.headers["location"]:  # it ended in the second the page waits: said so
            said = admin.get(ran.headers["location"]).text
            assert "harvest ran: skipped (nothing configured for it)" in said  # not "ok"
        deadline = time.monotonic() + 60
        while not _runs(engine) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert post_form(admin, f"/admin/outbox/{failed}/retry", {}).status_code == 303
        assert post_form(admin, f"/admin/outbox/{failed}/retry", {}).status_code == 400
        with engine.connect() as conn:
            status = conn.execute(select(outbox.c.status).where(outbox.c.id == failed)).scalar_one()
            mallory = conn.execute(text("SELECT id FROM users WHERE username='mallory'")).scalar()
        assert status == "pending"
        assert other.get("/").text.count("mallory") >= 1
        assert post_form(
            admin, f"/admin/users/{mallory}/suspend", {"suspended": "1", "confirmed": "1"}
        ).is_redirect
        assert "mallory" not in other.get("/").text  # the session ended
        assert post_form(
            admin, f"/admin/users/{mallory}/admin", {"is_admin": "1", "confirmed": "1"}
        ).is_redirect
        me = admin.get("/admin").text
    assert [(r.job, r.trigger, r.status) for r in _runs(engine)] == [("harvest", "admin", "ok")]
    with engine.connect() as conn:
        actions = [(a.who, a.action, a.target) for a in db.recent_actions(conn)]
    assert actions == [
        ("root", "make admin", "mallory"),
        ("root", "suspend", "mallory"),
        ("root", "retry delivery", str(failed)),
        ("root", "run job", "harvest"),
    ]
    assert "suspended" in me
    # The harvest had no sets to harvest: shown as skipped, not as a working "ok".
    row = me.split('data-job="harvest"')[1].split("</tr>")[0]
    assert "skipped (nothing configured for it)" in row and "disabled" not in row
    recent = me.split('id="runs"')[1].split("</table>")[0]  # the recent runs say the same
    assert "<td>skipped (nothing configured for it)</td>" in recent
    schedule = me.split('class="schedule"')[1].split("</p>")[0]
    assert "a run tries a failing job 3 times, waiting 60 s before the second" in schedule


def _runs(engine: Engine) -> list[db.JobRun]:
    with engine.connect() as conn:
        return [r for r in db.recent_runs(conn) if r.status != "running"]


def test_unsubscribed_failures_are_not_retried(site: Settings, engine: Engine) -> None:
    failed = _failed_message(engine)
    with engine.begin() as conn:
        conn.execute(update(outbox).values(last_error="unsubscribed"))
        assert not db.retry_delivery(conn, failed)


@pytest.mark.parametrize("gives_up", [False, True], ids=["ends-when-told", "keeps-going"])
def test_a_job_run_from_admin_is_not_left_running_when_the_server_stops(
    site: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch, gives_up: bool
) -> None:
    """SIGTERM to `serve` during "Run now" left the run "running" with nothing running it.
    The job is told to stop; one that does not stop in time is recorded as stopped anyway."""
    import threading

    from paperfeed.pipeline import Job
    from paperfeed.pipeline.registry import Context, Interrupted
    from paperfeed.web import admin

    started, release = threading.Event(), threading.Event()

    def slow(ctx: Context) -> dict[str, object]:
        started.set()
        if gives_up:
            release.wait(30)  # deaf to the stop: the server cannot wait for it
            return {}
        assert ctx.stop is not None
        ctx.stop.wait(30)
        raise Interrupted("stopped while fetching")

    monkeypatch.setattr(admin, "find_job", lambda name: Job(name, slow, "a slow source"))
    threads: list[threading.Thread] = []  # the job's thread, kept past stop_runs' clearing
    stop_all = admin.stop_runs

    def stop_runs(site_: Site, wait: float = 25.0) -> None:
        threads.extend(thread for thread, _stop, _name in admin._RUNNING)
        stop_all(site_, 1.0)  # not the server's 25 s for the deaf job

    monkeypatch.setattr(admin, "stop_runs", stop_runs)
    with client(site, engine) as c:
        sign_up(c, "root")
        with engine.begin() as conn:
            set_admin(conn, "root", True)
        assert post_form(c, "/admin/jobs/slowjob/run", {}).status_code == 303
        assert started.wait(10)
    with engine.connect() as conn:
        [run] = db.recent_runs(conn, 5, job="slowjob")
    assert run.status == "abandoned", run
    assert threads, "the server's shutdown did not reach the job's thread"
    # The job's thread ends (here the process lives on) before the store goes: it still writes
    # its end and lets go of the job's lock, which a busy machine may take seconds to do.
    release.set()
    for thread in threads:
        thread.join(60)
        assert not thread.is_alive()
