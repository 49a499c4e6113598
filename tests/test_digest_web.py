"""Subscription routes through the site's app: double opt-in, tokens, preferences, unsubscribe."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from itsdangerous.timed import TimestampSigner
from sqlalchemy import Engine, select

from paperfeed.digest.deliver import SmtpMailer
from paperfeed.digest.schedule import run_due
from paperfeed.digest.tokens import make_token
from paperfeed.secret import secret_key
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.web.app import create_app
from tests.digest_support import (
    Sink,
    copy_newest_papers,
    free_port,
    serve,
)

BASE = "http://testserver"


@pytest.fixture
def s(sqlite_settings: Settings, sink: Sink) -> Settings:
    return sqlite_settings.model_copy(
        update={
            "smtp_port": sink.port,
            "digest_send_rate": 0,
            "secret_key": "w" * 32,
            "base_url": BASE,
        }
    )


@pytest.fixture
def engine(
    s: Settings, demo_settings: Settings, open_migrated: Callable[[Settings], Engine]
) -> Iterator[Engine]:
    eng = open_migrated(s)
    copy_newest_papers(demo_settings, eng, 1)
    yield eng
    eng.dispose()


@pytest.fixture
def client(s: Settings, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(s, engine)) as c:
        yield c


def last_link(sink: Sink, address: str, word: str) -> str:
    body = sink.to(address)[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    found = re.findall(rf"\S+/{word}\?token=\S+", body)
    assert found, f"no {word} link"
    return str(found[0])


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def status_of(engine: Engine, address: str) -> str | None:
    with engine.connect() as conn:
        row = db.find_subscriber(conn, address.lower())
    return str(row["status"]) if row else None


def subscribe(client: TestClient, sink: Sink, address: str, **prefs: object) -> None:
    r = client.post("/api/subscribe", json={"email": address, "frequency": "daily", **prefs})
    assert r.status_code == 202, r.text
    r = client.post(path_of(last_link(sink, address, "confirm")))  # the confirm page's button
    assert r.status_code == 200 and "You are subscribed" in r.text


def test_api_subscribe_mails_a_confirm_link_under_base_url_whose_page_confirms(
    client: TestClient, sink: Sink, engine: Engine
) -> None:
    r = client.post("/api/subscribe", json={"email": "ann@example.org", "frequency": "weekly"})
    assert r.status_code == 202
    assert status_of(engine, "ann@example.org") == "pending"
    url = last_link(sink, "ann@example.org", "confirm")
    assert url.startswith(f"{BASE}/confirm?token=")
    page = client.get(path_of(url))  # what a mail scanner's visit sees: a question
    assert page.status_code == 200 and "ann@example.org" in page.text
    assert status_of(engine, "ann@example.org") == "pending"
    done = client.post(path_of(url))
    assert done.status_code == 200 and "You are subscribed" in done.text
    assert status_of(engine, "ann@example.org") == "confirmed"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"email": "not-an-address"}, 400, "not a valid email"),
        ({"email": "a@b.org\r\nBcc: victim@example.org"}, 400, "not a valid email"),
        ({"email": "bob@example.org", "frequency": "hourly"}, 400, "frequency"),
        ({"email": "bob@example.org", "timezone": "Mars/Base"}, 400, "time zone"),
        ({"email": "bob@example.org", "max_papers": 999}, 400, "max_papers"),
        ({"email": "bob@example.org", "seeds": ["nonsense"]}, 400, "arXiv id"),
        ({}, 400, "enter an email"),
    ],
)
def test_bad_requests_get_a_clear_message_and_no_mail(
    client: TestClient, sink: Sink, body: dict[str, object], status: int, words: str
) -> None:
    r = client.post("/api/subscribe", json=body)
    assert r.status_code == status and words in r.json()["detail"]
    assert sink.received == []


def test_api_wants_a_json_object_from_this_site(client: TestClient, sink: Sink) -> None:
    assert client.post("/api/subscribe", content="email=x@y.org").status_code == 415
    assert client.post("/api/subscribe", json=["x@y.org"]).status_code == 400
    r = client.post(
        "/api/subscribe", json={"email": "x@y.org"}, headers={"Origin": "https://evil.example"}
    )
    assert r.status_code == 403 and sink.received == []


def test_answers_do_not_reveal_who_is_subscribed(client: TestClient, sink: Sink) -> None:
    subscribe(client, sink, "cat@example.org")
    known = client.post("/api/subscribe", json={"email": "cat@example.org"})
    unknown = client.post("/api/subscribe", json={"email": "dog@example.org"})
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())


def test_requests_are_rate_limited_per_address(client: TestClient, sink: Sink) -> None:
    codes = [
        client.post("/api/subscribe", json={"email": "eel@example.org"}).status_code
        for _ in range(5)
    ]
    assert codes == [202, 202, 202, 429, 429]
    assert len(sink.to("eel@example.org")) == 3


def test_requests_are_rate_limited_per_client(client: TestClient) -> None:
    codes = [
        client.post("/api/subscribe", json={"email": f"u{i}@example.org"}).status_code
        for i in range(22)
    ]
    assert codes[:20] == [202] * 20 and codes[20:] == [429, 429]


def test_site_form_subscribes_and_refuses_cross_site_posts(
    client: TestClient, sink: Sink, engine: Engine
) -> None:
    form = {"email": "fox@example.org", "csrf_token": "x"}
    evil = client.post("/subscribe", data=form, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403 and sink.received == []
    ok = client.post("/subscribe", data=form, headers={"Origin": BASE})
    assert ok.status_code == 200 and "Check your inbox" in ok.text
    assert status_of(engine, "fox@example.org") == "pending"
    bad = client.post("/subscribe", data={"email": "fox"}, headers={"Origin": BASE})
    assert bad.status_code == 400 and "not a valid email" in bad.text
    again = client.get("/subscribe", follow_redirects=False)  # the answer's page, reopened
    assert again.status_code == 303 and again.headers["location"] == "/#subscribe-email"


def test_tokens_are_scoped(client: TestClient, sink: Sink, engine: Engine) -> None:
    client.post("/api/subscribe", json={"email": "gnu@example.org"})
    confirm_token = parse_qs(urlsplit(last_link(sink, "gnu@example.org", "confirm")).query)[
        "token"
    ][0]
    assert client.post(f"/unsubscribe?token={confirm_token}").status_code == 400
    assert client.get(f"/preferences?token={confirm_token}").status_code == 400
    assert client.get(f"/confirm?token={confirm_token}x").status_code == 400
    assert status_of(engine, "gnu@example.org") == "pending"
    client.post(f"/confirm?token={confirm_token}")
    unsubscribe_token = parse_qs(urlsplit(last_digest_link(engine, client, sink)).query)["token"][0]
    assert client.get(f"/confirm?token={unsubscribe_token}").status_code == 400
    assert client.post(f"/confirm?token={unsubscribe_token}").status_code == 400


def last_digest_link(engine: Engine, client: TestClient, sink: Sink) -> str:
    site = client.app.state.site  # type: ignore[attr-defined]
    run_due(engine, site.settings, SmtpMailer(site.settings), due_all=True)
    return str(sink.received[-1].message["List-Unsubscribe"]).strip("<>")


def test_an_expired_confirm_link_is_refused(
    client: TestClient, s: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.post("/api/subscribe", json={"email": "hen@example.org"})
    with engine.connect() as conn:
        row = db.find_subscriber(conn, "hen@example.org")
    assert row is not None
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 4 * 86400)
    old = make_token(secret_key(s), "confirm", int(row["id"]), str(row["nonce"]))  # type: ignore[call-overload]
    monkeypatch.undo()
    r = client.get(f"/confirm?token={old}")
    assert r.status_code == 400 and "expired" in r.text
    assert status_of(engine, "hen@example.org") == "pending"


def test_preferences_page_changes_what_and_when(
    client: TestClient, sink: Sink, engine: Engine, s: Settings
) -> None:
    subscribe(client, sink, "ibis@example.org")
    run_due(engine, s, SmtpMailer(s), due_all=True)
    url = last_link(sink, "ibis@example.org", "preferences")
    page = client.get(path_of(url))
    assert page.status_code == 200 and 'name="frequency"' in page.text
    form = {
        "frequency": "weekly",
        "send_time": "07:30",
        "timezone": "Europe/Berlin",
        "weekday": "2",
        "skip_weekends": "0",
        "max_papers": "7",
        "include_trending": "0",
        "keywords": "graph neural networks\nspeech",
        "authors": "Yoshua Bengio",
        "categories": "cs.CL, cs.LG",
    }
    saved = client.post(path_of(url), data=form, headers={"Origin": BASE})
    assert saved.status_code == 200 and "Saved" in saved.text
    with engine.connect() as conn:
        row = db.find_subscriber(conn, "ibis@example.org")
        assert row is not None
        kinds = db.get_interests(conn, [int(row["id"])])[int(row["id"])]  # type: ignore[call-overload]
    assert (row["frequency"], row["send_time"], row["timezone"], row["weekday"]) == (
        "weekly",
        "07:30",
        "Europe/Berlin",
        2,
    )
    assert (row["max_papers"], row["include_trending"], row["skip_weekends"]) == (7, False, False)
    assert [(k.kind, k.value) for k in kinds] == [
        ("category", "cs.CL"),
        ("category", "cs.LG"),
        ("keyword", "graph neural networks"),
        ("keyword", "speech"),
        ("author", "Yoshua Bengio"),
    ]
    bad = client.post(path_of(url), data={"timezone": "Nowhere/Land"}, headers={"Origin": BASE})
    assert bad.status_code == 400 and "unknown time zone" in bad.text
    with engine.connect() as conn:
        assert db.find_subscriber(conn, "ibis@example.org")["timezone"] == "Europe/Berlin"  # type: ignore[index]


def test_one_click_unsubscribe_is_a_real_post_without_cookies_and_stops_mail(
    s: Settings, engine: Engine, sink: Sink
) -> None:
    port = free_port()
    live = s.model_copy(update={"base_url": f"http://127.0.0.1:{port}"})
    with serve(create_app(live, engine), port) as url:
        r = httpx.post(f"{url}/api/subscribe", json={"email": "jay@example.org"})
        assert r.status_code == 202
        assert httpx.post(last_link(sink, "jay@example.org", "confirm")).status_code == 200
        assert run_due(engine, live, SmtpMailer(live), due_all=True).sent == 1
        digest = sink.to("jay@example.org")[-1]
        target = str(digest["List-Unsubscribe"]).strip("<>")
        assert target.startswith(f"{url}/unsubscribe?token=")
        looked = httpx.get(target)  # a link scanner's GET must not unsubscribe
        assert looked.status_code == 200 and status_of(engine, "jay@example.org") == "confirmed"
        done = httpx.post(
            target,
            content=digest["List-Unsubscribe-Post"],
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert done.status_code == 200 and "unsubscribed" in done.text
        assert httpx.post(target).status_code == 200  # again: still fine
    assert status_of(engine, "jay@example.org") == "unsubscribed"
    with engine.begin() as conn:  # a new listing day would be due tomorrow: nothing goes out
        conn.execute(db.subscribers.update().values(covered_until=None))
    before = len(sink.received)
    report = run_due(engine, live, SmtpMailer(live), due_all=True)
    assert (report.due, len(sink.received)) == (0, before)
    with engine.connect() as conn:
        assert conn.execute(select(db.subscribers.c.status)).scalar_one() == "unsubscribed"
