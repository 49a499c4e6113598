"""The demo's mailbox, and telling the truth about mail that could not be delivered."""

from __future__ import annotations

import json
import logging
import re
from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.digest.deliver import deliver_due
from paperfeed.digest.render import render_pair
from paperfeed.digest.subscribe import confirm
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store import open_store
from paperfeed.web.app import create_app
from tests.digest_support import Sink, free_port

runner = CliRunner()
SITE = "http://127.0.0.1:8765"


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """CLI settings whose SMTP server (a closed port) cannot be reached."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    for key, value in {
        "PAPERFEED_DATA_DIR": str(tmp_path / "data"),
        "PAPERFEED_SMTP_PORT": str(free_port()),
        "PAPERFEED_SECRET_KEY": "m" * 32,
        "PAPERFEED_DIGEST_SEND_RATE": "0",
        "PAPERFEED_DIGEST_RETRY_DELAY": "0",
        "PAPERFEED_EMBED_MODEL": "static",
    }.items():
        monkeypatch.setenv(key, value)
    return Settings()


def test_undeliverable_mail_is_queued_reported_and_dropped_once_confirmed(
    cli_env: Settings, sink: Sink, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="paperfeed.digest.deliver"):
        queued = runner.invoke(app, ["subscribe", "late@example.org"])
    assert queued.exit_code == 0, queued.output
    assert "queued, not sent yet: cannot open an SMTP session" in queued.output
    assert "sent to" not in queued.output
    assert any("l***@example.org" in r.getMessage() for r in caplog.records)

    status = json.loads(runner.invoke(app, ["digest", "status", "--json"]).output)
    [problem] = status["undelivered"]
    assert problem["recipient"] == "late@example.org" and problem["status"] == "retrying"
    assert "ConnectionRefused" in problem["reason"]
    text = runner.invoke(app, ["digest", "status"]).output
    assert "undelivered" in text and "late@example.org" in text

    # The mail server is back: a second request is sent at once and followed.
    s = cli_env.model_copy(update={"smtp_port": sink.port})
    engine = open_store(s)
    from paperfeed.digest.deliver import SmtpMailer
    from paperfeed.digest.subscribe import request_subscription

    row = request_subscription(engine, s, SmtpMailer(s), "late@example.org", {})
    assert row is not None and row.status == "sent"
    [mail] = sink.to("late@example.org")
    body = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    confirm(engine, s, body.split("confirm?token=")[1].split()[0])
    # The first confirmation, still queued, is dropped rather than sent late.
    assert deliver_due(engine, s, SmtpMailer(s)).sent == 0
    assert len(sink.to("late@example.org")) == 1
    with engine.connect() as conn:
        assert db.outbox_counts(conn) == {"dropped": 1, "sent": 1}
    engine.dispose()


def test_demo_mailbox_keeps_mail_and_links_it(
    sqlite_settings: Settings, capfd: pytest.CaptureFixture[str]
) -> None:
    s = sqlite_settings.model_copy(
        update={"mailbox": True, "listen_url": SITE, "secret_key": "k" * 32}
    )
    engine = open_store(s)
    with TestClient(create_app(s, engine), base_url=SITE) as client:
        home = client.get("/")
        assert 'href="/demo/mailbox"' in home.text and "Demo mode" in home.text
        done = client.post("/subscribe", data={"email": "demo@example.org"})
        assert done.status_code == 200 and "demo mailbox" in done.text
        box = client.get("/demo/mailbox")
    assert box.status_code == 200 and "To demo@example.org" in box.text
    assert 'href="/confirm?token=' in box.text  # this site's links open here
    # The HTML part too, framed without scripts, its links opening in the page.
    assert '<iframe title="Confirm' in box.text and 'sandbox="allow-top' in box.text
    assert 'srcdoc="' in box.text and re.search(
        r"&lt;a target=&#34;_top&#34;[^&]*(?:&#34;[^&]*&#34;[^&]*)*?"
        r" href=&#34;/confirm\?token=",
        box.text,
    )
    assert SITE not in box.text.split("srcdoc=", 1)[1].split("</iframe>")[0]
    err = capfd.readouterr().err
    assert "mail to d***@example.org: " in err and f"{SITE}/demo/mailbox" in err
    with engine.connect() as conn:
        assert db.outbox_counts(conn) == {"sent": 1}
    engine.dispose()


def test_mailbox_links_end_before_the_sentence_punctuation(sqlite_settings: Settings) -> None:
    """A digest's footer ends "…you subscribed at http://host/.": the link is the URL, the
    period stays outside it (a parenthesis too, unless the URL opened it)."""
    s = sqlite_settings.model_copy(
        update={"mailbox": True, "listen_url": SITE, "secret_key": "k" * 32}
    )
    engine = open_store(s)
    with TestClient(create_app(s, engine), base_url=SITE) as client:
        client.post("/subscribe", data={"email": "demo@example.org"})
        foot, _ = render_pair(
            "digest_foot",
            frequency="daily",
            home_url=f"{SITE}/",
            manage_url=f"{SITE}/preferences?token=m",
            unsubscribe_url=f"{SITE}/unsubscribe?token=u",
        )
        mail = EmailMessage()
        mail["Subject"] = "Your digest"
        mail.set_content(f"See (https://en.wikipedia.org/wiki/Set_(mathematics)).\n{foot}")
        with engine.begin() as conn:
            db.record_messages(
                conn,
                [db.NewMessage(1, "digest", "2026-06-25", "demo@example.org", "<m@x>", str(mail))],
            )
            [row] = db.due_messages(conn, 10, "digest")
            db.claim_message(conn, row.id)
            db.mark_sent(conn, row.id)
        box = client.get("/demo/mailbox").text
    engine.dispose()
    assert f'subscribed at <a href="/">{SITE}/</a>.' in box
    wiki = "https://en.wikipedia.org/wiki/Set_(mathematics)"
    assert f'See (<a href="{wiki}">{wiki}</a>).' in box


def test_mailbox_is_not_there_outside_the_demo(sqlite_settings: Settings) -> None:
    s = sqlite_settings.model_copy(update={"secret_key": "k" * 32})
    with TestClient(create_app(s)) as client:
        assert client.get("/demo/mailbox").status_code == 404
        assert "/demo/mailbox" not in client.get("/").text
