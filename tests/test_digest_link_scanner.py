"""Mail scanners (Safe Links, Proofpoint, Mimecast) open every link of a message: opening one
must change nothing. The confirmation link shows a page whose button (a POST) confirms."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from paperfeed.digest.deliver import SmtpMailer
from paperfeed.digest.schedule import run_due
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store.library import ratings
from tests.digest_support import Sink, copy_newest_papers
from tests.web_support import client, csrf_token, sign_up

BASE = "http://testserver"
_LINK = re.compile(r"""https?://[^\s"'<>]+""")


@pytest.fixture
def s(settings: Settings, sink: Sink) -> Settings:
    update = {"smtp_port": sink.port, "digest_send_rate": 0, "secret_key": "k" * 32}
    return settings.model_copy(update=update | {"base_url": BASE})


@pytest.fixture
def store(
    s: Settings, demo_settings: Settings, open_migrated: Callable[[Settings], Engine]
) -> Iterator[Engine]:
    eng = open_migrated(s)
    copy_newest_papers(demo_settings, eng, 1)
    yield eng
    eng.dispose()


@pytest.fixture
def c(s: Settings, store: Engine) -> Iterator[TestClient]:
    with client(s, store) as test_client:
        yield test_client


def _links(message: EmailMessage) -> list[str]:
    """Every link of both parts of a message, as a scanner finds them (HTML's &amp; undone)."""
    found: list[str] = []
    for kind in ("plain", "html"):
        body = str(message.get_body((kind,)).get_content())  # type: ignore[union-attr]
        found += [u.replace("&amp;", "&") for u in _LINK.findall(body)]
    return list(dict.fromkeys(found))


def _scan(c: TestClient, message: EmailMessage) -> list[int]:
    """Open every link of this site in the message, as a scanner does (HEAD, then GET), with
    no cookies; the GETs' status codes."""
    codes = []
    scanner = TestClient(c.app, base_url=BASE, raise_server_exceptions=False)
    for url in _links(message):
        if url.startswith(BASE):
            parts = urlsplit(url)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            scanner.head(target)
            codes.append(scanner.get(target).status_code)
    return codes


def _status(engine: Engine, address: str) -> str:
    with engine.connect() as conn:
        row = db.find_subscriber(conn, address)
    assert row is not None
    return str(row["status"])


def _confirm_url(sink: Sink, address: str) -> str:
    body = sink.to(address)[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    [url] = re.findall(rf"{BASE}(/confirm\?token=\S+)", body)
    return str(url)


def test_a_scanner_opening_every_link_of_the_confirmation_confirms_nothing(
    c: TestClient, sink: Sink, store: Engine
) -> None:
    """Before, the scanner's GET of the link confirmed an address nobody there asked for."""
    assert c.post("/api/subscribe", json={"email": "victim@example.org"}).status_code == 202
    codes = _scan(c, sink.to("victim@example.org")[-1])
    assert 200 in codes and all(code < 500 for code in codes)
    assert _status(store, "victim@example.org") == "pending"
    page = c.get(_confirm_url(sink, "victim@example.org"))
    assert page.status_code == 200 and "victim@example.org" in page.text
    assert page.headers["cache-control"] == "no-store"
    [form] = re.findall(r'<form method="post" action="([^"]+)">', page.text)
    assert form.replace("&amp;", "&") == _confirm_url(sink, "victim@example.org")
    assert "Confirm my subscription</button>" in page.text
    assert _status(store, "victim@example.org") == "pending"


def test_the_pages_button_confirms_without_a_session_and_says_so_when_opened_again(
    c: TestClient, sink: Sink, store: Engine
) -> None:
    assert c.post("/api/subscribe", json={"email": "ann@example.org"}).status_code == 202
    url = _confirm_url(sink, "ann@example.org")
    evil = c.post(url, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403 and _status(store, "ann@example.org") == "pending"
    done = c.post(url, headers={"Origin": BASE})
    assert done.status_code == 200 and "You are subscribed" in done.text
    assert "/preferences?token=" in done.text
    assert _status(store, "ann@example.org") == "confirmed"
    again = c.get(url)  # the link followed once more: nothing to ask
    assert again.status_code == 200 and "You are subscribed" in again.text
    assert '<form method="post" action="/confirm' not in again.text
    assert c.post(url).status_code == 200  # and the button pressed twice: the same answer
    bad = c.post(url + "x")
    assert bad.status_code == 400 and "Link not valid" in bad.text


def test_an_address_for_notices_only_is_asked_about_notices(
    c: TestClient, sink: Sink, store: Engine
) -> None:
    body = {"email": "quiet@example.org", "frequency": "none"}
    assert c.post("/api/subscribe", json=body).status_code == 202
    url = _confirm_url(sink, "quiet@example.org")
    page = c.get(url)
    assert "Confirm my address</button>" in page.text and "No digests" in page.text
    assert _status(store, "quiet@example.org") == "pending"
    done = c.post(url)
    assert "Address confirmed" in done.text and _status(store, "quiet@example.org") == "confirmed"


def test_an_api_client_is_told_to_post_and_confirms_by_post(
    c: TestClient, sink: Sink, store: Engine
) -> None:
    assert c.post("/api/subscribe", json={"email": "bot@example.org"}).status_code == 202
    url = _confirm_url(sink, "bot@example.org")
    asked = c.get(url, headers={"Accept": "application/json"})
    assert asked.status_code == 200 and asked.json()["title"] == "Confirm your address"
    assert _status(store, "bot@example.org") == "pending"
    done = c.post(url, headers={"Accept": "application/json"})
    assert done.status_code == 200 and done.json()["title"] == "You are subscribed"
    refused = c.post("/confirm?token=nope", headers={"Accept": "application/json"})
    assert refused.status_code == 400 and "not valid" in refused.json()["detail"]
    doc = c.get("/openapi.json").json()["paths"]["/confirm"]
    assert {"get", "post"} <= set(doc)


def test_a_scanner_opening_every_link_of_a_digest_changes_nothing(
    c: TestClient, s: Settings, sink: Sink, store: Engine
) -> None:
    """A signed-in reader's digest carries 👍 / 👎, preferences and unsubscribe links: a scan
    rates nothing, unsubscribes nothing."""
    sign_up(c, "reader")
    form = {"email": "reader@example.org", "csrf_token": csrf_token(c, "/")}
    assert c.post("/subscribe", data=form).status_code == 200
    c.post(_confirm_url(sink, "reader@example.org"))
    assert run_due(store, s, SmtpMailer(s), due_all=True).sent == 1
    digest = sink.to("reader@example.org")[-1]
    links = _links(digest)
    assert any("/digest/rate?token=" in u for u in links)
    assert any("/unsubscribe?token=" in u for u in links)
    codes = _scan(c, digest)
    assert codes and all(code == 200 for code in codes), codes
    assert _status(store, "reader@example.org") == "confirmed"
    with store.connect() as conn:
        assert conn.execute(select(ratings)).all() == []
