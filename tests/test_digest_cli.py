"""`paperfeed subscribe`, `paperfeed digest preview|run|status` through the real CLI app."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.digest.subscribe import confirm
from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.store.digest_tables import outbox
from tests.digest_support import Sink, copy_newest_papers, free_port

runner = CliRunner()


@pytest.fixture
def cli_settings(
    tmp_path: Path, sink: Sink, demo_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    monkeypatch.chdir(tmp_path)  # no stray .env
    env = {
        "PAPERFEED_DATA_DIR": str(tmp_path / "data"),
        "PAPERFEED_SMTP_PORT": str(sink.port),
        "PAPERFEED_SECRET_KEY": "cli" * 12,
        "PAPERFEED_DIGEST_SEND_RATE": "0",
        "PAPERFEED_EMBED_MODEL": "static",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    engine = open_store(settings)
    copy_newest_papers(demo_settings, engine, 1)
    engine.dispose()
    return settings


def test_subscribe_refuses_bad_input_with_a_message(cli_settings: Settings, sink: Sink) -> None:
    bad = runner.invoke(app, ["subscribe", "not-an-address"])
    assert bad.exit_code == 1 and "not a valid email" in bad.output
    worse = runner.invoke(app, ["subscribe", "a@b.org", "--frequency", "hourly"])
    assert worse.exit_code == 1 and "frequency" in worse.output
    assert sink.received == []


def test_subscribe_preview_run_and_status(cli_settings: Settings, sink: Sink) -> None:
    r = runner.invoke(
        app, ["subscribe", "cli@example.org", "--keyword", "learning", "--papers", "4"]
    )
    assert r.exit_code == 0, r.output
    [mail] = sink.to("cli@example.org")
    preview = runner.invoke(app, ["digest", "preview", "cli@example.org"])
    assert preview.exit_code == 0 and preview.output.startswith("Subject: Daily papers:")
    assert preview.output.count("Why: ") == 4 and len(sink.received) == 1  # nothing sent
    html = runner.invoke(app, ["digest", "preview", "cli@example.org", "--html"])
    assert "<html" in html.output
    missing = runner.invoke(app, ["digest", "preview", "nobody@example.org"])
    assert missing.exit_code == 1 and "no subscriber" in missing.output

    unconfirmed = json.loads(runner.invoke(app, ["digest", "run", "--due-all", "--json"]).output)
    assert unconfirmed["sent"] == 0
    engine = open_store(cli_settings)
    body = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    confirm(engine, cli_settings, body.split("confirm?token=")[1].split()[0])
    engine.dispose()
    sent = json.loads(runner.invoke(app, ["digest", "run", "--due-all", "--json"]).output)
    assert (sent["composed"], sent["sent"]) == (1, 1)
    again = json.loads(runner.invoke(app, ["digest", "run", "--due-all", "--json"]).output)
    assert (again["due"], again["sent"]) == (0, 0)
    status = json.loads(runner.invoke(app, ["digest", "status", "--json"]).output)
    assert status == {"subscribers": {"confirmed": 1}, "outbox": {"sent": 2}, "undelivered": []}


def test_a_mail_server_that_cannot_be_reached_is_said_and_shown_to_admins(
    cli_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No SMTP session: the emails are kept (no try is counted against them), but `digest run`
    says so and exits 1, and /admin shows it, rather than 'retrying (0 tries)' forever."""
    from paperfeed.store import jobs as db

    monkeypatch.setenv("PAPERFEED_SMTP_PORT", str(free_port()))  # nothing listens there
    made = runner.invoke(app, ["subscribe", "lab@example.org", "--category", "cs.CV"])
    assert made.exit_code == 0, made.output
    engine = open_store(Settings())
    with engine.begin() as conn:  # its retry is due now
        conn.execute(update(outbox).values(next_attempt_at=datetime(2000, 1, 1)))
    ran = runner.invoke(app, ["digest", "run"])
    said = " ".join(ran.output.split())
    assert ran.exit_code == 1 and "could not be reached" in said and "doctor" in said, said
    with engine.connect() as conn:
        waiting = db.unreachable_mail(conn)
    engine.dispose()
    assert waiting is not None and waiting[0] == 1 and "cannot open an SMTP session" in waiting[1]
