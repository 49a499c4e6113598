"""What a sysadmin meets running paperfeed: proxy settings, the base URL, the settings file, the
admin log of CLI changes, a store that goes down, readiness, job metrics, and upgrading."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, create_engine
from typer.testing import CliRunner

from paperfeed import doctor
from paperfeed.cli import app
from paperfeed.ingest.enrich import EnrichReport
from paperfeed.settings import Settings
from paperfeed.store import jobs as db
from paperfeed.store import open_store
from paperfeed.store.health import migration_heads
from paperfeed.web import commands
from paperfeed.web.app import create_app
from paperfeed.web.baseurl import path_problem
from paperfeed.web.version import DataVersion
from tests.digest_support import free_port
from tests.web_support import client

runner = CliRunner()
DEPLOY = (Path(__file__).parent.parent / "docs" / "deploy.md").read_text()
PUBLIC = "https://papers.example.org"


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {"PAPERFEED_DATA_DIR": str(settings.data_dir), "PAPERFEED_EMBED_MODEL": "static"}
    if settings.database_url:
        env["PAPERFEED_DATABASE_URL"] = settings.database_url
    return env | extra


@pytest.fixture
def clean_env() -> Iterator[None]:
    """Whatever a command puts into os.environ (--env-file) is gone after the test."""
    with mock.patch.dict(os.environ):
        for key in [k for k in os.environ if k.startswith("PAPERFEED_")]:
            del os.environ[key]
        os.environ.pop("FORWARDED_ALLOW_IPS", None)
        yield


# --- 1. FORWARDED_ALLOW_IPS is not read: docs, serve and doctor say what to set -----------------


def test_deploy_docs_trust_the_proxy_with_paperfeeds_own_setting() -> None:
    assert "Environment=FORWARDED_ALLOW_IPS" not in DEPLOY
    assert "PAPERFEED_TRUSTED_PROXIES=127.0.0.1" in _settings_block()


def test_serve_and_doctor_say_forwarded_allow_ips_is_ignored(
    sqlite_settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "127.0.0.1")
    commands._check_proxy_settings(sqlite_settings)
    said = capsys.readouterr().err.strip()
    assert said.count("\n") == 0 and said.startswith("warning: FORWARDED_ALLOW_IPS=127.0.0.1")
    assert "set PAPERFEED_TRUSTED_PROXIES=127.0.0.1 instead" in said

    found = doctor.Findings()
    doctor.check_proxies(sqlite_settings, found)
    assert any("set PAPERFEED_TRUSTED_PROXIES=127.0.0.1 instead" in p for p in found.problems)
    trusting = sqlite_settings.model_copy(update={"trusted_proxies": "127.0.0.1"})
    found = doctor.Findings()
    doctor.check_proxies(trusting, found)
    assert not found.problems and "is ignored" in found.notes[0]

    monkeypatch.delenv("FORWARDED_ALLOW_IPS")
    commands._check_proxy_settings(sqlite_settings)
    assert capsys.readouterr().err == ""


# --- 2. a base URL that cannot be served is refused (one with a path is served) ----------------


def test_a_base_url_that_cannot_be_served_is_refused_by_serve_and_doctor(
    sqlite_settings: Settings,
) -> None:
    assert path_problem(PUBLIC) is None and path_problem(PUBLIC + "/") is None
    with_path = sqlite_settings.model_copy(update={"base_url": PUBLIC + "/p f"})
    with pytest.raises(Exception) as stopped:
        commands._check_proxy_settings(with_path)
    assert getattr(stopped.value, "exit_code", None) == 1
    found = doctor.Findings()
    doctor.check_base_url(with_path, found, timeout=0.1)
    [problem] = found.problems
    assert "has a path (/p f)" in problem and "https://papers.example.org" in problem


def test_serve_with_a_base_url_it_cannot_serve_exits_with_one_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = Path(sys.executable).parent / "paperfeed"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFEED_")}
    env |= {"PAPERFEED_DATA_DIR": str(tmp_path), "PAPERFEED_BASE_URL": PUBLIC + "/p f"}
    done = subprocess.run(
        [str(script), "serve", "--port", str(free_port()), "--no-jobs", "--no-digests"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert done.returncode == 1 and len(errors) == 1 and "has a path (/p f)" in errors[0]
    assert "paperfeed at" not in done.stderr


# --- 3. the settings file of deploy.md, read with --env-file -------------------------------------


def _settings_block() -> str:
    section = DEPLOY.split("## Settings every deployment needs", 1)[1]
    return section.split("```\n", 2)[1]


def test_deploy_docs_settings_file_works_with_env_file(tmp_path: Path, clean_env: None) -> None:
    path = tmp_path / "paperfeed.env"
    path.write_text(_settings_block())
    assert "--env-file /etc/paperfeed/paperfeed.env doctor" in DEPLOY
    assert "env $(cat" not in DEPLOY.replace("`env $(cat FILE) …` does not", "")
    seen: list[Settings] = []
    with mock.patch.object(doctor, "CHECKS", [lambda s, _found: seen.append(s)]):
        result = runner.invoke(app, ["--env-file", str(path), "doctor"])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
    [read] = seen
    assert read.mail_from == "paperfeed <papers@example.org>"
    assert read.database_url == "postgresql://paperfeed@db.internal/paperfeed"
    assert read.base_url == PUBLIC and read.trusted_proxies == "127.0.0.1"
    assert read.smtp_port == 587 and read.smtp_password == "..." and not read.dev_mode


def test_env_file_names_a_comment_that_systemd_would_keep(tmp_path: Path, clean_env: None) -> None:
    path = tmp_path / "paperfeed.env"
    path.write_text(
        "PAPERFEED_MAIL_FROM=paperfeed <papers@example.org>\n"
        f"PAPERFEED_DATA_DIR={tmp_path}   # the data\n"
        'PAPERFEED_SMTP_PASSWORD="a # b"\n'
    )
    with mock.patch.object(doctor, "CHECKS", []):
        result = runner.invoke(app, ["--env-file", str(path), "doctor"])
    said = " ".join(result.output.split())
    assert "line 2: systemd keeps '# the data' in PAPERFEED_DATA_DIR's value" in said
    assert "line 3" not in said and "line 1" not in said


# --- 4. role and password changes from the command line are in the admin log -------------------


def test_cli_role_and_password_changes_are_logged(settings: Settings) -> None:
    env = _env(settings)
    password = "correct horse battery staple\n"
    steps = [
        (["user", "add", "ada", "--password-stdin", "--admin"], password),
        (["user", "add", "bob", "--password-stdin"], password),
        (["admin", "bob"], ""),
        (["admin", "bob", "--revoke"], ""),
        (["user", "passwd", "bob", "--password-stdin"], "another long password 42\n"),
    ]
    for args, stdin in steps:
        result = runner.invoke(app, args, env=env, input=stdin)
        assert result.exit_code == 0, result.output
    engine = open_store(settings)
    with engine.connect() as conn:
        logged = [(a.who, a.action, a.target) for a in reversed(db.recent_actions(conn))]
    engine.dispose()
    assert logged == [
        ("command line", "add user", "ada"),
        ("command line", "make admin", "ada"),
        ("command line", "add user", "bob"),
        ("command line", "make admin", "bob"),
        ("command line", "revoke admin", "bob"),
        ("command line", "set password", "bob"),
    ]


# --- 5. a store that is down: one log line per kind of failure, one when it is back --------------


def _down_engine(backend: str, tmp_path: Path) -> Engine:
    if backend == "postgres":  # nothing listens on a freed port
        return create_engine(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none")
    return create_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'paperfeed.db'}")


def _lines(caplog: pytest.LogCaptureFixture, name: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == name]


def test_a_store_that_is_down_is_logged_once_until_it_is_back(
    backend: str, engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    down = _down_engine(backend, tmp_path)
    version = DataVersion(down, check_seconds=0.0)
    with caplog.at_level(logging.WARNING, "paperfeed.web.version"):
        for _ in range(5):
            version._refresh()
        failed = _lines(caplog, "paperfeed.web.version")
        version.engine = engine
        for _ in range(3):
            version._refresh()
    lines = _lines(caplog, "paperfeed.web.version")
    assert len(failed) == 1 and failed[0].exc_info is None
    message = failed[0].getMessage()
    assert "store unreachable (OperationalError: " in message and message.endswith(", retrying")
    assert "\n" not in message and "sqlalche.me" not in message
    assert [r.getMessage() for r in lines[1:]] == ["page cache: the store is reachable again"]
    down.dispose()


def test_another_kind_of_failure_is_logged_again(caplog: pytest.LogCaptureFixture) -> None:
    from paperfeed.store.health import Outage

    outage = Outage(logging.getLogger("paperfeed.test"), "check")
    with caplog.at_level(logging.WARNING, "paperfeed.test"):
        for exc in (OSError("refused"), OSError("refused"), TimeoutError("pool"), OSError("x")):
            outage.failed(exc)
    said = [r.getMessage() for r in caplog.records if r.name == "paperfeed.test"]
    assert said == [
        "check: store unreachable (OSError: refused), retrying",
        "check: store unreachable (TimeoutError: pool), retrying",
        "check: store unreachable (OSError: x), retrying",
    ]


# --- 6. /readyz answers a short reason; the detail goes to the log -------------------------------


def test_readyz_does_not_show_the_drivers_error(
    backend: str,
    settings: Settings,
    engine: Engine,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    down = _down_engine(backend, tmp_path)
    with caplog.at_level(logging.WARNING, "paperfeed.web.ops"), client(settings, engine) as c:
        site = c.app.state.site  # type: ignore[attr-defined]
        site.engine = down
        answers = [c.get("/readyz") for _ in range(3)]
        site.engine = engine
        c.get("/readyz")
    for answer in answers:
        assert answer.status_code == 503
        assert answer.json()["problems"][0] == "the store cannot be reached"
        assert "127.0.0.1" not in answer.text and "sqlalche" not in answer.text
        assert "no-such-folder" not in answer.text
    said = [r.getMessage() for r in _lines(caplog, "paperfeed.web.ops")]
    assert len(said) == 2 and "readiness check: store unreachable (OperationalError" in said[0]
    assert said[1] == "readiness check: the store is reachable again"
    down.dispose()


# --- 7. /metrics: what each job's last run did ---------------------------------------------------


def test_job_metrics_report_each_jobs_own_counts(site: Settings, engine: Engine) -> None:
    enriched = asdict(EnrichReport(repos=7, updated=3, errors=["rate limited"]))
    runs = {
        "harvest": {"sets": 1, "read": 42, "skipped": 2, "errors": 2},
        "embed": {"embedded": 120},
        "enrich": enriched,
        "digests": {"due": 5, "composed": 5, "sent": 4, "failed": 1, "busy": False},
    }
    with engine.begin() as conn:
        for job, counts in runs.items():
            run = db.start_run(conn, job, None, "manual", "n1")
            db.finish_run(conn, run, "ok", counts, None)
    with client(site, engine) as c:
        body = c.get("/metrics").text
    found = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }

    def records(job: str) -> float:
        return found[("paperfeed_job_last_records", (("job", job),))]

    def errors(job: str) -> float:
        return found[("paperfeed_job_last_errors", (("job", job),))]

    assert [records(j) for j in runs] == [42, 120, 7, 4]
    assert [errors(j) for j in runs] == [2, 0, 1, 1]
    count = "paperfeed_job_last_count"
    assert found[(count, (("count", "updated"), ("job", "enrich")))] == 3
    assert found[(count, (("count", "composed"), ("job", "digests")))] == 5
    assert found[(count, (("count", "embedded"), ("job", "embed")))] == 120
    assert not any(k[0] == count and ("count", "rate_limited_until") in k[1] for k in found)


# --- 8. the base URL warning is for visitors at another address only -----------------------------


def test_no_base_url_warning_behind_a_proxy_on_this_machine(
    capsys: pytest.CaptureFixture[str], sqlite_settings: Settings
) -> None:
    proxied = sqlite_settings.model_copy(update={"base_url": PUBLIC})
    commands._explain_links(proxied, "127.0.0.1", "http://127.0.0.1:8871")
    assert capsys.readouterr().err == ""
    local = sqlite_settings.model_copy(update={"base_url": "http://127.0.0.1:9999"})
    commands._explain_links(local, "127.0.0.1", "http://127.0.0.1:8871")
    assert "but this server listens on http://127.0.0.1:8871" in capsys.readouterr().err
    lan = sqlite_settings.model_copy(update={"base_url": PUBLIC})
    commands._explain_links(lan, "10.0.0.11", "http://10.0.0.11:8871")
    assert "but this server listens on http://10.0.0.11:8871" in capsys.readouterr().err
    commands._explain_links(lan, "0.0.0.0", "http://127.0.0.1:8871")  # every address
    assert "but this server listens on http://127.0.0.1:8871" in capsys.readouterr().err


def test_requests_warn_only_for_a_visitor_at_another_address(
    site: Settings, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    proxied = site.model_copy(update={"base_url": PUBLIC})

    def warnings() -> list[str]:
        return [r.getMessage() for r in _lines(caplog, "paperfeed.web.baseurl")]

    app_ = create_app(proxied, engine)
    quiet = caplog.at_level(logging.WARNING, "paperfeed.web.baseurl")
    with quiet, TestClient(app_, base_url="http://127.0.0.1:8871") as c:
        for path in ("/metrics", "/healthz", "/readyz", "/"):
            c.get(path)
        c.get("/", headers={"host": "localhost:8871"})
        c.get("/", headers={"host": "papers.example.org"})
        c.get("/metrics", headers={"host": "10.0.0.11:8000"})  # Prometheus on another box
        assert warnings() == []
        c.get("/", headers={"host": "10.0.0.11:8000"})  # a visitor around the proxy
        c.get("/", headers={"host": "elsewhere.example"})
    [warning] = warnings()
    assert re.match(r"a request arrived at 10\.0\.0\.11:8000, but links", warning)


# --- 9. paperfeed migrate ------------------------------------------------------------------------


def test_migrate_says_from_which_revision_to_which(settings: Settings) -> None:
    env = _env(settings)
    head = ", ".join(sorted(migration_heads()))
    first = runner.invoke(app, ["migrate"], env=env)
    assert first.exit_code == 0, first.output
    assert f"migrated the store from no schema (a new store) to {head}" in first.output
    again = runner.invoke(app, ["migrate"], env=env)
    assert again.exit_code == 0, again.output
    assert f"the store is up to date (revision {head})" in again.output


def test_deploy_docs_have_an_upgrade_procedure() -> None:
    upgrading = DEPLOY.split("## Upgrading", 1)[1].split("\n## ", 1)[0]
    steps = ["paperfeed", "backup", "systemctl stop", "install", "migrate", "systemctl start"]
    positions = [upgrading.index(step) for step in steps]
    assert positions == sorted(positions)
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    assert "docs/deploy.md#upgrading" in readme and "paperfeed migrate " in readme


def test_commands_on_a_store_a_newer_version_migrated_say_so_without_a_traceback(
    settings: Settings,
) -> None:
    """Rolled back without restoring the backup: migrate, stats and serve end in one sentence."""
    import subprocess
    import sys

    from sqlalchemy import text

    open_store(settings).dispose()
    engine = create_engine(settings.sqlalchemy_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    script = str(Path(sys.executable).parent / "paperfeed")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFEED_")}
    env |= _env(settings, COLUMNS="1000")
    for command in (["migrate"], ["stats"], ["serve", "--no-jobs", "--port", str(free_port())]):
        done = subprocess.run(
            [script, *command], env=env, capture_output=True, text=True, timeout=120
        )
        said = " ".join(done.stderr.split())
        assert done.returncode == 1, (command, done.stderr)
        assert "error: the store's schema is at 0099" in said and "Traceback" not in said, said
        assert "paperfeed restore FILE" in said


def test_the_job_schedule_says_a_down_store_once_not_a_traceback_a_tick(
    backend: str,
    settings: Settings,
    engine: Engine,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`serve`'s job schedule logged a 50-line traceback at every tick (each minute) while the
    database was down, and so did the For you warm-up: one line for the outage, one when the
    store answers again, as the web's own checks do."""
    import threading

    from paperfeed.pipeline import Scheduler

    ticks = threading.Semaphore(0)

    class Counted(Scheduler):
        def tick(self) -> list[Any]:
            try:
                return super().tick()
            finally:
                ticks.release()

    quick = settings.model_copy(update={"jobs_tick_seconds": 0.01})
    down = Counted(_down_engine(backend, tmp_path), quick, jobs=[], digests=False)
    stop = threading.Event()
    with caplog.at_level(logging.INFO, "paperfeed.pipeline"):
        thread = threading.Thread(target=down.run_forever, args=(stop,), daemon=True)
        thread.start()
        for _ in range(4):  # four ticks against the down store
            assert ticks.acquire(timeout=60)
        down.engine = engine  # it answers again
        for _ in range(2):
            assert ticks.acquire(timeout=60)
        stop.set()
        thread.join(60)
    said = [r for r in caplog.records if r.name == "paperfeed.pipeline.schedule"]
    warnings = [r.getMessage() for r in said if r.levelno >= logging.WARNING]
    assert len(warnings) == 2, warnings
    assert warnings[0].startswith("job schedule: store unreachable (")
    assert warnings[1] == "job schedule: the store is reachable again"
    assert not any(r.exc_info for r in said)


@pytest.mark.parametrize("loop", ["run_scheduler_forever", "send_due_forever"])
def test_the_digest_and_email_loops_say_a_down_store_once(
    loop: str, settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`serve`'s digest schedule (jobs off) and its email sending (jobs on) at a store that
    cannot be reached: one line for the outage, not a traceback at each interval."""
    import threading

    from paperfeed.digest import schedule

    rounds = threading.Semaphore(0)

    class Counting:  # a mailer: each interval closes its session once
        def send(self, sender: str, recipient: str, message: bytes) -> None:
            raise AssertionError("nothing is sent from a store that cannot be reached")

        def close(self) -> None:
            rounds.release()

        def another(self) -> None:
            return None

    quick = settings.model_copy(update={"digest_scheduler_interval": 0.01})
    stop = threading.Event()
    down = _down_engine("sqlite", tmp_path)
    kwargs: dict[str, Any] = {"mailer": Counting()}
    if loop == "run_scheduler_forever":
        kwargs["embeddings"] = object()  # not reached: the lease is taken first
    with caplog.at_level(logging.WARNING, "paperfeed.digest"):
        thread = threading.Thread(
            target=getattr(schedule, loop), args=(quick, down, stop), kwargs=kwargs, daemon=True
        )
        thread.start()
        for _ in range(4):
            assert rounds.acquire(timeout=60)
        stop.set()
        thread.join(60)
    said = [r for r in caplog.records if r.name.startswith("paperfeed.digest")]
    assert len(said) == 1 and said[0].exc_info is None, [r.getMessage() for r in said]
    assert "store unreachable (OperationalError: " in said[0].getMessage()
