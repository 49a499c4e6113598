"""The outbox at scale: sent emails' text is cleared after PAPERFEED_OUTBOX_KEEP_DAYS (queued and
failed ones keep theirs), in batches, by every digest run and by `paperfeed digest prune`; what
keeps a reader from getting a period or a paper twice stays (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import ValidationError
from sqlalchemy import Engine, func, inspect, select, text, update
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.digest.deliver import SmtpMailer
from paperfeed.digest.mailbox import read_mailbox
from paperfeed.digest.render import build_message
from paperfeed.digest.schedule import RunReport, run_due
from paperfeed.digest.subscribe import confirm, request_subscription
from paperfeed.digest.upkeep import prune_outbox
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store import get_papers, migrate, open_store
from paperfeed.store.digest_tables import outbox, sent_papers, subscribers
from paperfeed.store.tables import metadata, papers
from paperfeed.util import utcnow
from tests.digest_support import Sink, add_outbox_message, copy_newest_papers

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
OLD = datetime(2027, 1, 15, 9, 0)  # 45 days before NOW (naive UTC, as the store keeps it)
RECENT = datetime(2027, 2, 20, 9, 0)  # 9 days before
BASE = "http://paperfeed.test"
runner = CliRunner()


def _rows(engine: Engine) -> dict[str, dict[str, object]]:
    """Each outbox row by recipient."""
    with engine.connect() as conn:
        return {r.recipient: dict(r._mapping) for r in conn.execute(select(outbox))}


def _message(engine: Engine, email: str, status: str, at: datetime, packed: bool = False) -> int:
    """A message to `email` in the outbox, queued (and sent, when sent) at `at`."""
    with engine.begin() as conn:
        kw = {"status": status, "attempts": 1, "message": f"Subject: to {email}\r\n\r\nbody"}
        oid = add_outbox_message(conn, email, **kw)  # type: ignore[arg-type]
        values: dict[str, object] = {"created_at": at, "next_attempt_at": at, "sent_at": None}
        if status == "sent":
            values["sent_at"] = at + timedelta(minutes=1)
        if packed:
            mail = build_message(Settings(), email, "Papers", "text", "<p>html</p>", NOW, None)
            values |= {"packed": mail.packed(), "message": ""}
        conn.execute(update(outbox).where(outbox.c.id == oid).values(**values))
    return oid


def test_old_sent_texts_are_cleared_and_queued_failed_and_recent_ones_kept(
    engine: Engine, settings: Settings
) -> None:
    _message(engine, "old-sent@example.org", "sent", OLD, packed=True)
    _message(engine, "old-text@example.org", "sent", OLD)
    _message(engine, "recent@example.org", "sent", RECENT, packed=True)
    for status in ("pending", "sending", "failed"):
        _message(engine, f"old-{status}@example.org", status, OLD)
    with engine.begin() as conn:  # an account mail of the demo's mailbox, of no subscriber
        db.keep_account_mail(conn, "account@example.org", "<a@x>", "Subject: link\r\n\r\nhi")
        conn.execute(
            update(outbox)
            .where(outbox.c.recipient == "account@example.org")
            .values(created_at=OLD, next_attempt_at=OLD, sent_at=OLD)
        )
    before = _rows(engine)

    assert prune_outbox(engine, settings, NOW) == 3
    after = _rows(engine)
    for email in ("old-sent@example.org", "old-text@example.org", "account@example.org"):
        row = after[email]
        assert (row["status"], row["message"], row["packed"]) == ("pruned", "", None), email
        kept = {k: v for k, v in row.items() if k not in ("status", "message", "packed")}
        assert kept == {k: v for k, v in before[email].items() if k in kept}, email
    for email in ("recent@example.org", "old-pending@example.org"):
        assert after[email] == before[email], email
    for email in ("old-sending@example.org", "old-failed@example.org"):
        assert after[email] == before[email], email
    assert prune_outbox(engine, settings, NOW) == 0  # nothing left to clear
    with engine.connect() as conn:
        counts = db.outbox_counts(conn)
    assert counts["pruned"] == 3 and counts["sent"] == 1 and counts["failed"] == 1
    mailbox = read_mailbox(engine, settings)
    assert [letter.recipient for letter in mailbox] == ["recent@example.org"]


def test_keep_days_zero_keeps_every_text_and_more_days_keep_more(
    engine: Engine, settings: Settings
) -> None:
    _message(engine, "ancient@example.org", "sent", OLD - timedelta(days=3650))
    _message(engine, "old@example.org", "sent", OLD)
    keep = settings.model_copy(update={"outbox_keep_days": 0})
    assert prune_outbox(engine, keep, NOW) == 0
    assert {r["status"] for r in _rows(engine).values()} == {"sent"}
    longer = settings.model_copy(update={"outbox_keep_days": 60})
    assert prune_outbox(engine, longer, NOW) == 1  # the 45 days old one is kept for 60
    assert _rows(engine)["old@example.org"]["status"] == "sent"
    assert prune_outbox(engine, settings, NOW) == 1


def test_pruning_goes_in_batches_and_stops_after_the_ones_asked(
    engine: Engine, settings: Settings
) -> None:
    for n in range(5):
        _message(engine, f"r{n}@example.org", "sent", OLD)
    assert prune_outbox(engine, settings, NOW, batches=1, batch=2) == 2
    assert prune_outbox(engine, settings, NOW, batches=1, batch=2) == 2
    assert prune_outbox(engine, settings, NOW, batch=2) == 1  # until none is left
    assert {r["status"] for r in _rows(engine).values()} == {"pruned"}


# --- end to end: a real SMTP server, a digest run, then a prune, then digests again ----------


@pytest.fixture
def s(settings: Settings, sink: Sink) -> Settings:
    return settings.model_copy(
        update={
            "smtp_port": sink.port,
            "digest_send_rate": 0,
            "digest_retry_delay": 0,
            "secret_key": "k" * 32,
            "base_url": BASE,
        }
    )


def _run(engine: Engine, s: Settings, now: datetime | None = None) -> RunReport:
    mailer = SmtpMailer(s)
    try:
        return run_due(engine, s, mailer, due_all=True, now=now)
    finally:
        mailer.close()


def _digest_ids(sink: Sink, address: str) -> list[list[str]]:
    mails = [m for m in sink.to(address) if m["List-Unsubscribe"]]
    pattern = rf"{re.escape(BASE)}/papers/(\S+)"
    return [re.findall(pattern, m.get_body(("plain",)).get_content()) for m in mails]  # type: ignore[union-attr]


def _age_sent(engine: Engine, days: int) -> None:
    """Make every sent message `days` older (as if sent then)."""
    back = timedelta(days=days)
    with engine.begin() as conn:
        sent = conn.execute(select(outbox).where(outbox.c.status == "sent")).all()
        for r in sent:
            older = {
                "sent_at": r.sent_at - back,
                "next_attempt_at": r.next_attempt_at - back,
                "created_at": r.created_at - back,
            }
            conn.execute(update(outbox).where(outbox.c.id == r.id).values(**older))
    assert sent


def test_a_reader_gets_no_paper_and_no_period_twice_after_the_prune(
    engine: Engine, demo_settings: Settings, s: Settings, sink: Sink
) -> None:
    ids = copy_newest_papers(demo_settings, engine, 2)
    with engine.begin() as conn:
        days = sorted({p.listing_date for p in get_papers(conn, ids).values()})
        conn.execute(update(papers).where(papers.c.listing_date == days[-1]).values(hidden=True))
    mailer = SmtpMailer(s)
    request_subscription(engine, s, mailer, "bo@example.org", {"max_papers": 30}, "127.0.0.1")
    mailer.close()
    body = sink.to("bo@example.org")[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    sub = confirm(engine, s, re.findall(r"confirm\?token=(\S+)", body)[0])
    now = datetime.now(UTC)
    assert _run(engine, s, now).sent == 1
    [first] = _digest_ids(sink, "bo@example.org")
    with engine.connect() as conn:
        record = conn.execute(select(func.count()).select_from(sent_papers)).scalar_one()
    assert first and record == len(first)

    _age_sent(engine, 45)  # a month and a half later: the next digest run clears the texts
    report = _run(engine, s, now)
    assert report.pruned == 2 and report.due == 0  # the digest and the confirmation
    rows = _rows(engine)
    assert rows["bo@example.org"]["status"] == "pruned"
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(sent_papers)).scalar_one() == record
        statuses = {r.kind: (r.status, r.message, r.packed) for r in conn.execute(select(outbox))}
    assert statuses == {"digest": ("pruned", "", None), "confirm": ("pruned", "", None)}

    # The next listing day arrives, and the reader's window reaches back over the day already
    # mailed (coverage behind): only the record of sent papers keeps those out.
    with engine.begin() as conn:
        conn.execute(update(papers).values(hidden=False))
        back = days[0] - timedelta(days=1)
        conn.execute(
            update(subscribers).where(subscribers.c.id == sub.id).values(covered_until=back)
        )
    assert _run(engine, s, now + timedelta(days=1)).sent == 1
    first_again, second = _digest_ids(sink, "bo@example.org")
    assert first_again == first and second and not set(first) & set(second)
    with engine.connect() as conn:
        current = {r.period for r in conn.execute(select(outbox).where(outbox.c.kind == "digest"))}
    assert len(current) == 2


def test_digest_prune_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("PAPERFEED_DATA_DIR", str(tmp_path / "data"))
    engine = open_store(Settings())
    then = utcnow() - timedelta(days=45)
    _message(engine, "old@example.org", "sent", then)
    _message(engine, "failed@example.org", "failed", then)
    _message(engine, "new@example.org", "sent", utcnow())

    monkeypatch.setenv("PAPERFEED_OUTBOX_KEEP_DAYS", "0")
    kept = runner.invoke(app, ["digest", "prune"])
    assert kept.exit_code == 0 and "PAPERFEED_OUTBOX_KEEP_DAYS is 0" in kept.output
    monkeypatch.delenv("PAPERFEED_OUTBOX_KEEP_DAYS")
    done = runner.invoke(app, ["digest", "prune", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output) == {"pruned": 1, "keep_days": 30, "forgotten": 0, "left": 0}
    again = runner.invoke(app, ["digest", "prune"])
    assert again.output.strip() == "cleared the text of 0 emails sent over 30 days ago"
    statuses = {k: v["status"] for k, v in _rows(engine).items()}
    assert statuses == {
        "old@example.org": "pruned",
        "failed@example.org": "failed",
        "new@example.org": "sent",
    }
    monkeypatch.setenv("PAPERFEED_OUTBOX_KEEP_DAYS", "-1")
    bad = runner.invoke(app, ["digest", "prune"])
    assert isinstance(bad.exception, ValidationError)  # `paperfeed` says which setting, exit 2
    assert bad.exception.errors()[0]["loc"] == ("outbox_keep_days",)
    engine.dispose()


# --- the index the cascade and failed messages use --------------------------------------------


def _sent_paper_indexes(engine: Engine) -> dict[str, list[str | None]]:
    found = inspect(engine).get_indexes("digest_sent_papers")
    return {ix["name"]: ix["column_names"] for ix in found}  # type: ignore[misc]


def test_0034_indexes_the_sent_papers_by_message(engine: Engine) -> None:
    assert _sent_paper_indexes(engine)["ix_digest_sent_papers_outbox"] == ["outbox_id"]
    with engine.connect() as conn:  # the migrations make what the tables declare
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diff if "digest_" in repr(d)] == []
    with engine.begin() as conn:  # a store as 0033 left it
        conn.execute(text("DROP INDEX ix_digest_sent_papers_outbox"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0033'"))
    assert "ix_digest_sent_papers_outbox" not in _sent_paper_indexes(engine)
    migrate(engine)
    assert _sent_paper_indexes(engine)["ix_digest_sent_papers_outbox"] == ["outbox_id"]
