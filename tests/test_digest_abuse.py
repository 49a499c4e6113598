"""Subscriptions under abuse: rewriting a pending request, plus-address floods, odd input."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.digest.deliver import SmtpMailer
from paperfeed.digest.subscribe import (
    RateLimited,
    confirm,
    find_by_email,
    links_for,
    request_subscription,
    unsubscribe,
)
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.web.app import create_app
from tests.digest_support import Sink

BASE = "http://testserver"


@pytest.fixture
def s(sqlite_settings: Settings, sink: Sink) -> Settings:
    update = {"smtp_port": sink.port, "digest_send_rate": 0, "secret_key": "a" * 32}
    return sqlite_settings.model_copy(update={**update, "base_url": BASE})


@pytest.fixture
def engine(s: Settings, open_migrated: Callable[[Settings], Engine]) -> Iterator[Engine]:
    eng = open_migrated(s)
    yield eng
    eng.dispose()


@pytest.fixture
def client(s: Settings, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(s, engine)) as c:
        yield c


def _token(sink: Sink, address: str, index: int, word: str = "confirm") -> str:
    body = sink.to(address)[index].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    [url] = re.findall(rf"\S+/{word}\?token=\S+", body)
    return urlsplit(url).query.removeprefix("token=")


def _interests(engine: Engine, address: str) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        row = db.find_subscriber(conn, address)
        assert row is not None
        sid = int(row["id"])  # type: ignore[call-overload]
        return [(i.kind, i.value) for i in db.get_interests(conn, [sid]).get(sid, [])]


def test_asking_again_does_not_change_what_a_pending_link_confirms(
    s: Settings, engine: Engine, sink: Sink
) -> None:
    victim = {"keywords": ["protein folding"], "frequency": "weekly"}
    request_subscription(engine, s, SmtpMailer(s), "vic@example.org", victim)
    attacker = {"keywords": ["buy now"], "frequency": "daily", "max_papers": 50}
    request_subscription(engine, s, SmtpMailer(s), "vic@example.org", attacker)
    assert len(sink.to("vic@example.org")) == 2
    sub = confirm(engine, s, _token(sink, "vic@example.org", 0))  # the victim's first link
    assert sub.prefs.keywords == ("protein folding",)
    assert (sub.prefs.frequency, sub.prefs.max_papers) == ("weekly", 10)
    assert _interests(engine, "vic@example.org") == [("keyword", "protein folding")]


def test_an_unsubscribed_address_starts_afresh(s: Settings, engine: Engine, sink: Sink) -> None:
    request_subscription(engine, s, SmtpMailer(s), "re@example.org", {"keywords": ["old"]})
    first = _token(sink, "re@example.org", 0)
    confirm(engine, s, first)
    sub = find_by_email(engine, "re@example.org")
    assert sub is not None
    link = links_for(s, sub).token_url("/unsubscribe", "unsubscribe")
    unsubscribe(engine, s, urlsplit(link).query.removeprefix("token="))
    request_subscription(engine, s, SmtpMailer(s), "re@example.org", {"keywords": ["new"]})
    assert _interests(engine, "re@example.org") == [("keyword", "new")]
    with pytest.raises(ValueError, match="no longer valid"):
        confirm(engine, s, first)  # the old subscription's link
    assert confirm(engine, s, _token(sink, "re@example.org", -1)).status == "confirmed"


def test_plus_addressed_variants_share_one_limit(s: Settings, engine: Engine, sink: Sink) -> None:
    for n in range(3):
        request_subscription(engine, s, SmtpMailer(s), f"flood+{n}@example.org", {})
    with pytest.raises(RateLimited):
        request_subscription(engine, s, SmtpMailer(s), "FLOOD+x@example.org", {})
    assert len(sink.received) == 3
    request_subscription(engine, s, SmtpMailer(s), "other+1@example.org", {})  # not affected


@pytest.mark.parametrize("weekday", ["²", "٣", "7", "-1"])
def test_odd_weekdays_are_refused_on_every_form(
    client: TestClient, s: Settings, engine: Engine, sink: Sink, weekday: str
) -> None:
    form = {"email": "wd@example.org", "weekday": weekday}
    page = client.post("/subscribe", data=form, headers={"Origin": BASE})
    assert page.status_code == 400 and "weekday" in page.text
    api = client.post("/api/subscribe", json=form)
    assert api.status_code == 400 and "weekday" in api.json()["detail"]

    request_subscription(engine, s, SmtpMailer(s), "ok@example.org", {})
    token = _token(sink, "ok@example.org", -1)
    confirm(engine, s, token)
    sub = find_by_email(engine, "ok@example.org")
    assert sub is not None
    manage = links_for(s, sub).token_url("/preferences", "manage").removeprefix(BASE)
    saved = client.post(manage, data={"weekday": weekday}, headers={"Origin": BASE})
    assert saved.status_code == 400 and "weekday" in saved.text


def test_text_that_is_not_text_and_deep_json_get_400(client: TestClient) -> None:
    bad = client.post(
        "/api/subscribe",
        content=b'{"email": "u@example.org", "keywords": ["\\ud800"]}',
        headers={"Content-Type": "application/json"},
    )
    assert bad.status_code == 400 and "UTF-8" in bad.json()["detail"]  # refused at parse time
    deep = client.post(
        "/api/subscribe",
        content=b"[" * 100_000 + b"]" * 100_000,
        headers={"Content-Type": "application/json"},
    )
    assert deep.status_code == 400
