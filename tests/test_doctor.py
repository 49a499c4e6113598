"""`paperfeed doctor`: exit 0 when all is well, 1 with each problem in plain words."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.search import SearchService, embed_papers
from paperfeed.settings import Settings
from paperfeed.store import connect, open_store
from paperfeed.store.tables import papers
from paperfeed.web import commands
from tests.digest_support import free_port, smtp_sink
from tests.replay import Reply, Request, replay
from tests.web_support import fill_store, web_settings

runner = CliRunner()
KEY = "k3y-" + "0123456789abcdefghijklmnopqrstuvwxyz"


def healthy(req: Request) -> Reply:
    return Reply(b"ok\n", 200, {}, "text/plain") if req.path == "/healthz" else Reply(b"", 404)


def env(settings: Settings, **extra: str) -> dict[str, str]:
    base = {"PAPERFEED_DATA_DIR": str(settings.data_dir), "PAPERFEED_EMBED_MODEL": "static"}
    return base | {f"PAPERFEED_{k.upper()}": v for k, v in extra.items()}


def test_a_working_install_is_well(sqlite_settings: Settings, tmp_path: Path) -> None:
    fast = web_settings(sqlite_settings)
    engine = open_store(fast)
    fill_store(engine, fast, tmp_path / "listings")
    embed_papers(fast, engine)
    service = SearchService(fast, engine)
    service.refresh()  # this node's index is current
    service.close()
    with smtp_sink(login=("mailer", "s3cret")) as sink, replay(healthy) as site:
        extra = {
            "secret_key": KEY,
            "base_url": site.url,
            "smtp_port": str(sink.port),
            "smtp_username": "mailer",
            "smtp_password": "s3cret",
        }
        result = runner.invoke(app, ["doctor"], env=env(sqlite_settings, **extra))
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "all is well"


def test_a_broken_install_gets_a_list_of_what_to_fix(sqlite_settings: Settings) -> None:
    connect(sqlite_settings).dispose()  # an empty database: never migrated
    with replay(lambda req: Reply(b"nginx default page", 200, {}, "text/html")) as other:
        extra = {
            "dev_mode": "false",
            "base_url": other.url,
            "smtp_port": str(free_port()),
            "embed_model": str(sqlite_settings.data_dir / "no-such-model"),
            "trusted_proxies": "10.0.0.0/8, /run/proxy.sock, proxy.example",
        }
        result = runner.invoke(app, ["doctor"], env=env(sqlite_settings, **extra))
    assert result.exit_code == 1
    problems = [line for line in result.output.splitlines() if line.startswith("problem:")]
    text = "\n".join(problems)
    assert "no PAPERFEED_SECRET_KEY is set (`serve` refuses to start without one)" in " ".join(
        text.split()
    )  # it said "(using nothing)"
    assert "point at the reader's own machine" in text
    assert "answered HTTP 200, not paperfeed" in text
    assert "cannot connect to the mail server" in text
    assert "cannot be loaded" in text
    assert "the store has no tables yet: run `paperfeed init`" in text
    assert "'proxy.example' is no IP address or network" in text
    assert len(problems) == 7 and "7 problem(s) to fix" in result.output


def test_mailbox_mode_is_noted_and_no_mail_server_is_asked_for(sqlite_settings: Settings) -> None:
    """PAPERFEED_MAILBOX=true keeps mail in a page: doctor said it could not connect to the mail
    server 127.0.0.1:25, a problem, on every install tried the documented way."""
    extra = {"secret_key": KEY, "mailbox": "true", "smtp_port": str(free_port())}
    result = runner.invoke(app, ["doctor"], env=env(sqlite_settings, **extra))
    said = " ".join(result.output.split())
    assert "mail server" not in said, said
    assert "mail is kept in the mailbox page (/demo/mailbox), not sent" in said


def test_unembedded_papers_and_a_stale_index_are_problems(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    fast = web_settings(sqlite_settings)
    engine = open_store(fast)
    fill_store(engine, fast, tmp_path / "listings")
    service = SearchService(fast, engine)
    service.refresh()  # this node indexed the papers, then they changed and it was not running
    service.close()
    with engine.begin() as conn:
        conn.execute(update(papers).values(changed_at=datetime(2099, 1, 1)))
    with smtp_sink() as sink:
        extra = {"secret_key": KEY, "smtp_port": str(sink.port)}
        result = runner.invoke(app, ["doctor"], env=env(sqlite_settings, **extra))
    assert result.exit_code == 1
    assert "papers are not embedded yet" in result.output
    assert "search index is" in result.output and "behind the store" in result.output


def test_an_https_site_whose_tls_proxy_is_not_trusted_is_a_problem(
    sqlite_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """An https base URL means a proxy ends TLS before paperfeed; trusting none, the whole lab
    had the proxy's address and shared its limits, while doctor said "all is well"."""
    site = {"base_url": "https://lab.example.org/papers", "smtp_port": str(free_port())}
    said = runner.invoke(app, ["doctor"], env=env(sqlite_settings, **site)).output
    assert "problem: PAPERFEED_BASE_URL=https://lab.example.org/papers is https" in said
    assert "PAPERFEED_TRUSTED_PROXIES is empty: every visitor has the proxy's address" in said
    trusting = env(sqlite_settings, **site, trusted_proxies="127.0.0.1")
    assert "TRUSTED_PROXIES is empty" not in runner.invoke(app, ["doctor"], env=trusting).output
    plain = env(sqlite_settings, base_url="http://10.0.0.5:8000", smtp_port=site["smtp_port"])
    assert "TRUSTED_PROXIES is empty" not in runner.invoke(app, ["doctor"], env=plain).output
    https = sqlite_settings.model_copy(update={"base_url": site["base_url"]})
    commands._check_proxy_settings(https)  # serve says it once as it starts
    assert capsys.readouterr().err.count("warning: PAPERFEED_BASE_URL=https://lab") == 1
