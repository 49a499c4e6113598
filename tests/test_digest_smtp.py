"""Digests end to end against a real SMTP server on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine, select, update

from paperfeed.digest.deliver import SmtpMailer, send_one
from paperfeed.digest.schedule import LOCK, RunReport, run_due
from paperfeed.digest.subscribe import confirm, request_subscription
from paperfeed.digest.subscriber import Subscriber
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store import get_papers
from paperfeed.store.tables import papers
from tests.digest_support import Sink, copy_newest_papers, smtp_sink

BASE = "http://paperfeed.test"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # a Thursday


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


@pytest.fixture
def store(engine: Engine, demo_settings: Settings) -> Engine:
    copy_newest_papers(demo_settings, engine, 2)
    return engine


def link(message: EmailMessage, word: str) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    found = re.findall(rf"{re.escape(BASE)}/{word}\?token=\S+", body.get_content())
    assert found, f"no {word} link in the message"
    return str(found[0])


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def subscribe(engine: Engine, s: Settings, sink: Sink, address: str, **prefs: object) -> Subscriber:
    mailer = SmtpMailer(s)
    request_subscription(engine, s, mailer, address, prefs, "127.0.0.1")
    mailer.close()
    return confirm(engine, s, token_of(link(sink.to(address)[-1], "confirm")))


def run(engine: Engine, s: Settings, now: datetime = NOW, due_all: bool = True) -> RunReport:
    mailer = SmtpMailer(s)
    report = run_due(engine, s, mailer, due_all=due_all, now=now)
    mailer.close()
    return report


def digests(sink: Sink, address: str) -> list[EmailMessage]:
    return [m for m in sink.to(address) if m["List-Unsubscribe"]]


def outbox(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        rows = conn.execute(select(db.outbox).where(db.outbox.c.kind == "digest"))
        return [dict(r._mapping) for r in rows]


def test_digest_is_multipart_with_headers_reasons_and_links(
    store: Engine, s: Settings, sink: Sink
) -> None:
    subscribe(store, s, sink, "ada@example.org", keywords=["diffusion"], max_papers=5)
    report = run(store, s)
    assert (report.composed, report.sent) == (1, 1)
    [msg] = digests(sink, "ada@example.org")
    assert msg["From"] == s.mail_from and msg["To"] == "ada@example.org"
    assert parsedate_to_datetime(msg["Date"]).tzinfo is not None
    assert re.fullmatch(r"<[^<>@\s]+@localhost>", msg["Message-ID"])
    assert msg["List-Unsubscribe"].startswith(f"<{BASE}/unsubscribe?token=")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg.get_content_type() == "multipart/alternative"
    kinds = [p.get_content_type() for p in msg.iter_parts()]
    assert kinds == ["text/plain", "text/html"]
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    ids = re.findall(
        rf'href="{re.escape(BASE)}/papers/(\d{{4}}\.\d{{4,5}}(?:v\d+)?)"', html
    )  # papers, not the '…and N more' day link
    assert 1 <= len(ids) <= 5 and len(set(ids)) == len(ids)
    assert f'href="{BASE}/unsubscribe?token=' in html and "style=" in html
    with store.connect() as conn:
        found = get_papers(conn, ids)
        newest = conn.execute(
            select(papers.c.listing_date).order_by(papers.c.listing_date.desc())
        ).first()
    assert set(found) == set(ids)
    assert {p.listing_date for p in found.values()} == {newest[0]}  # type: ignore[index]
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.count("Why: ") == len(ids)
    for pid in ids:
        if "diffusion" in f"{found[pid].title} {found[pid].abstract}".lower():
            continue
        assert "Why: trending" in text  # anything not about diffusion is there as trending


def test_nothing_but_the_confirmation_goes_to_an_unconfirmed_address(
    store: Engine, s: Settings, sink: Sink
) -> None:
    request_subscription(store, s, SmtpMailer(s), "eve@example.org", {}, "127.0.0.1")
    report = run(store, s)
    assert (report.due, report.sent) == (0, 0)
    [only] = sink.to("eve@example.org")
    assert "confirm?token=" in only.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_runs_are_idempotent_per_period_and_no_paper_is_sent_twice(
    engine: Engine, demo_settings: Settings, s: Settings, sink: Sink
) -> None:
    all_ids = copy_newest_papers(demo_settings, engine, 2)
    with engine.begin() as conn:
        newest = max(p.listing_date for p in get_papers(conn, all_ids).values())  # type: ignore[type-var]
        conn.execute(update(papers).where(papers.c.listing_date == newest).values(hidden=True))
    subscribe(engine, s, sink, "bo@example.org", max_papers=30)
    assert run(engine, s).sent == 1
    assert run(engine, s).due == 0 and len(digests(sink, "bo@example.org")) == 1
    with engine.begin() as conn:  # the next listing day arrives
        conn.execute(update(papers).values(hidden=False))
    assert run(engine, s, NOW + timedelta(days=1)).sent == 1
    first, second = digests(sink, "bo@example.org")
    pattern = rf"{re.escape(BASE)}/papers/(\S+)"
    ids = [re.findall(pattern, m.get_body(("plain",)).get_content()) for m in (first, second)]  # type: ignore[union-attr]
    assert ids[0] and ids[1] and not set(ids[0]) & set(ids[1])


def test_transient_failure_is_retried_and_delivered_once(
    store: Engine, s: Settings, sink: Sink
) -> None:
    subscribe(store, s, sink, "cy@example.org")
    sink.plan = ["451"]
    report = run(store, s)
    assert (report.sent, report.retrying, report.failed) == (1, 1, 0)
    assert len(digests(sink, "cy@example.org")) == 1
    [row] = outbox(store)
    assert row["status"] == "sent" and row["attempts"] == 2


def test_dropped_connection_is_retried(store: Engine, s: Settings, sink: Sink) -> None:
    subscribe(store, s, sink, "di@example.org")
    sink.plan = ["drop"]
    assert run(store, s).sent == 1
    assert len(digests(sink, "di@example.org")) == 1


def test_retry_waits_for_its_backoff(store: Engine, s: Settings, sink: Sink) -> None:
    slow = s.model_copy(update={"digest_retry_delay": 600})
    subscribe(store, slow, sink, "ed@example.org")
    sink.plan = ["451"]
    assert run(store, slow).retrying == 1
    assert run(store, slow).sent == 0  # not due again yet
    [row] = outbox(store)
    assert row["status"] == "pending" and "451" in str(row["last_error"])
    assert row["next_attempt_at"] >= row["created_at"] + timedelta(seconds=590)  # type: ignore[operator]
    assert digests(sink, "ed@example.org") == []


def test_permanent_failure_is_recorded_and_never_resent(
    store: Engine, s: Settings, sink: Sink
) -> None:
    subscribe(store, s, sink, "fa@example.org")
    sink.plan = ["550"]
    assert run(store, s).failed == 1
    assert run(store, s).sent == 0
    [row] = outbox(store)
    assert row["status"] == "failed" and "550" in str(row["last_error"])
    assert digests(sink, "fa@example.org") == []


def test_transient_failures_give_up_after_max_attempts(
    store: Engine, s: Settings, sink: Sink
) -> None:
    few = s.model_copy(update={"digest_max_attempts": 3})
    subscribe(store, few, sink, "gi@example.org")
    sink.plan = ["451"] * 5
    assert run(store, few).failed == 1
    [row] = outbox(store)
    assert row["status"] == "failed" and row["attempts"] == 3


def test_a_session_s_older_copy_of_a_message_counts_the_stores_tries(
    store: Engine, s: Settings, sink: Sink
) -> None:
    """Sessions sending side by side each hold a copy of a due row; retried at once (a retry
    delay of 0), one session's older copy counted its tries from the copy: a message tried 3
    times of 3 was tried a 4th ("gave up after 4 attempts", seen in a whole-suite run)."""
    few = s.model_copy(update={"digest_max_attempts": 3})
    sink.plan = ["451"] * 5
    mailer = SmtpMailer(few)
    try:  # the confirmation's first try fails: due again at once
        request_subscription(store, few, mailer, "ki@example.org", {"frequency": "daily"})
        with store.connect() as conn:
            sid = conn.execute(select(db.outbox.c.id).where(db.outbox.c.kind == "confirm"))
            copy = db.get_message(conn, int(sid.scalar_one()))
        assert copy is not None and copy.attempts == 1
        said = [send_one(store, few, mailer, copy) for _ in range(2)]  # the same older copy
    finally:
        mailer.close()
    assert said == ["pending", "failed"]
    with store.connect() as conn:
        row = db.get_message(conn, copy.id)
    assert row is not None and (row.status, row.attempts) == ("failed", 3)


def test_resubscribing_neither_duplicates_nor_reveals(
    store: Engine, s: Settings, sink: Sink
) -> None:
    subscribe(store, s, sink, "ha@example.org")
    request_subscription(store, s, SmtpMailer(s), "HA@example.org", {"frequency": "weekly"})
    with store.connect() as conn:
        assert db.count_subscribers(conn) == {"confirmed": 1}
        [row] = conn.execute(select(db.subscribers)).all()
    assert row.frequency == "daily"  # a confirmed subscription changes only through its link
    notice = sink.to("HA@example.org")[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "already subscribed" in notice and "confirm?token=" not in notice


def test_an_empty_digest_is_not_sent(store: Engine, s: Settings, sink: Sink) -> None:
    subscribe(store, s, sink, "io@example.org", keywords=["zzyzx quux"], include_trending=False)
    report = run(store, s)
    assert (report.empty, report.composed, report.sent) == (1, 0, 0)
    assert digests(sink, "io@example.org") == []
    assert run(store, s).due == 0


def test_a_second_run_waits_while_another_holds_the_lease(
    store: Engine, s: Settings, sink: Sink
) -> None:
    subscribe(store, s, sink, "jo@example.org")
    with store.begin() as conn:
        assert db.acquire_lock(conn, LOCK, "elsewhere:1:x", timedelta(minutes=5), [])
    assert run(store, s).busy
    with store.begin() as conn:
        db.release_lock(conn, LOCK, "elsewhere:1:x")
    assert run(store, s).sent == 1


def test_not_due_before_the_send_time(store: Engine, s: Settings, sink: Sink) -> None:
    subscribe(store, s, sink, "ka@example.org", send_time="18:00", timezone="Europe/Berlin")
    assert run(store, s, NOW, due_all=False).due == 0  # 13:00 in Berlin
    assert run(store, s, NOW + timedelta(hours=5), due_all=False).sent == 1


def test_smtp_login_from_settings_and_a_refused_login_never_fails_a_message(
    store: Engine, s: Settings
) -> None:
    with smtp_sink(login=("mailer", "s3cret")) as sink:
        good = s.model_copy(
            update={"smtp_port": sink.port, "smtp_username": "mailer", "smtp_password": "s3cret"}
        )
        subscribe(store, good, sink, "lo@example.org")
        bad = good.model_copy(update={"smtp_password": "wrong"})
        report = run(store, bad)
        assert report.sent == 0 and digests(sink, "lo@example.org") == []
        [row] = outbox(store)
        assert row["status"] == "pending" and "SMTP session" in str(row["last_error"])
        assert run(store, good).sent == 1
        assert len(digests(sink, "lo@example.org")) == 1
        assert all(r.authenticated for r in sink.received)


def test_several_sessions_deliver_each_message_once_with_failures_among_them(
    store: Engine, s: Settings, sink: Sink
) -> None:
    """The default sends over several SMTP sessions side by side: every digest arrives once,
    a transient failure is retried and a permanent one recorded, whichever session met it."""
    sessions = Settings.model_fields["smtp_connections"].default
    assert sessions > 1 and s.smtp_connections == sessions
    addresses = [f"many{i}@example.org" for i in range(12)]
    for address in addresses:
        subscribe(store, s, sink, address)
    sink.sessions.clear()
    sink.plan = ["ok", "451", "ok", "550"]
    report = run(store, s)
    assert (report.sent, report.retrying, report.failed) == (11, 1, 1)
    arrived = Counter(m["To"] for a in addresses for m in digests(sink, a))
    assert sum(arrived.values()) == 11 and set(arrived.values()) == {1}
    states = Counter(str(row["status"]) for row in outbox(store))
    assert states == {"sent": 11, "failed": 1}
    assert len(sink.sessions) > 1  # more than one connection carried the digests


def test_every_session_stops_when_the_run_must_end(store: Engine, s: Settings, sink: Sink) -> None:
    """When the run loses its lease (keep_going says no), no session takes another message:
    what was sent is recorded, the rest stays queued, nothing is left in flight."""
    from paperfeed.digest.deliver import deliver_due

    for i in range(12):
        subscribe(store, s, sink, f"lease{i}@example.org")
    compose = run(store, s.model_copy(update={"smtp_host": "127.0.0.2", "smtp_port": 1}))
    assert compose.composed == 12 and compose.sent == 0  # composed, nothing could be sent
    answers = iter([True, True, True])
    mailer = SmtpMailer(s)
    report = deliver_due(store, s, mailer, keep_going=lambda: next(answers, False))
    mailer.close()
    assert report.sent == 3
    states = Counter(str(row["status"]) for row in outbox(store))
    assert states == {"sent": 3, "pending": 9}


def _down(s: Settings) -> Settings:
    """Settings whose mail server cannot be reached, with a retry far off."""
    return s.model_copy(
        update={"smtp_host": "127.0.0.2", "smtp_port": 1, "digest_retry_delay": 600}
    )


def test_a_message_waiting_for_its_retry_is_not_tried_again_by_a_session_that_held_it(
    store: Engine, s: Settings, sink: Sink, caplog: pytest.LogCaptureFixture
) -> None:
    """With the mail server down, one message was logged three times within a second ("could
    not deliver … yet"), its attempts still 0: sessions that had fetched it before another
    session's try claimed it again, although its next try was set for later."""

    subscribe(store, s, sink, "stale@example.org")
    down = _down(s)
    run(store, down)  # composed; the mail server cannot be reached
    with store.begin() as conn:  # due again: each session's copy of the row is now the same
        conn.execute(update(db.outbox).values(next_attempt_at=datetime(2000, 1, 1)))
    with store.connect() as conn:
        [held] = db.due_messages(conn, 10)
    caplog.clear()
    mailer = SmtpMailer(down)
    with caplog.at_level(logging.WARNING, logger="paperfeed.digest.deliver"):
        assert send_one(store, down, mailer, held) == "pending"
        assert send_one(store, down, mailer, held) == "taken"  # its retry is 10 minutes off
    mailer.close()
    assert len([r for r in caplog.records if "s***@example.org" in r.getMessage()]) == 1
    [row] = outbox(store)
    assert row["status"] == "pending" and row["attempts"] == 0
    live = SmtpMailer(s)
    assert send_one(store, s, live, held) == "taken"  # nor sent before then, server or not
    live.close()
    assert digests(sink, "stale@example.org") == []


def test_a_run_with_the_server_down_tries_each_message_once(
    store: Engine, s: Settings, sink: Sink, caplog: pytest.LogCaptureFixture
) -> None:
    """Several sessions side by side while the server cannot be reached: a run tries (and
    logs) no message twice, the first refusal stops it (the sessions already trying one each
    end theirs), the run's count says how many were tried, and no attempt is counted."""
    addresses = [f"down{i}@example.org" for i in range(3)]
    for address in addresses:
        subscribe(store, s, sink, address)
    down = _down(s)
    run(store, down)
    with store.begin() as conn:
        conn.execute(update(db.outbox).values(next_attempt_at=datetime(2000, 1, 1)))
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="paperfeed.digest.deliver"):
        report = run(store, down)
    ids = [row["id"] for row in outbox(store)]  # log lines mask addresses: told apart by id
    lines = Counter(i for r in caplog.records for i in ids if f" email #{i} to " in r.getMessage())
    assert set(lines.values()) == {1} and report.retrying == sum(lines.values()) <= len(ids)
    assert {row["attempts"] for row in outbox(store)} == {0}


def test_a_queued_digest_of_a_reader_who_left_is_dropped_not_failed(
    store: Engine, s: Settings, sink: Sink
) -> None:
    """Its digest queued while the mail server was down, the reader unsubscribed: the digest
    was marked failed ("unsubscribed"), a failed delivery on /admin and in `digest status`."""
    from paperfeed.digest.subscribe import unsubscribe
    from paperfeed.digest.tokens import make_token
    from paperfeed.secret import secret_key

    sub = subscribe(store, s, sink, "leaver@example.org")
    run(store, _down(s))  # composed, not sent
    [queued] = outbox(store)
    assert queued["status"] == "pending"
    unsubscribe(store, s, make_token(secret_key(s), "unsubscribe", sub.id, sub.nonce))
    [row] = outbox(store)
    assert (row["status"], row["last_error"]) == ("dropped", "the reader unsubscribed")
    assert run(store, s).sent == 0 and digests(sink, "leaver@example.org") == []
