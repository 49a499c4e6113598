"""Mail asked for one address is limited per address (not only per client): SQLite and
PostgreSQL, a real SMTP server on loopback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.web.app import create_app
from tests.digest_support import Sink, smtp_sink
from tests.web_support import client, csrf_token, sign_up, web_settings

PASSWORD = "correct horse battery"
_CONFIRM = re.compile(r"/email/confirm\?token=([A-Za-z0-9_\-]+)")
_SET = re.compile(r"/password/set\?token=([A-Za-z0-9_\-]+)")


@pytest.fixture
def mailing(settings: Settings) -> Iterator[tuple[Settings, Sink]]:
    """Site settings that mail through a loopback SMTP server, and that server."""
    with smtp_sink() as sink:
        yield web_settings(settings, smtp_host="127.0.0.1", smtp_port=sink.port), sink


@contextmanager
def _from(settings: Settings, engine: Engine, address: str) -> Iterator[TestClient]:
    """A browser at another client address: each has its own per-client limits."""
    app = create_app(settings, engine)
    with TestClient(app, client=(address, 50000), raise_server_exceptions=False) as c:
        yield c


def _link(sink: Sink, address: str, pattern: re.Pattern[str]) -> str:
    body = sink.to(address)[-1].get_body(("plain",))
    assert body is not None
    found = pattern.search(str(body.get_content()))
    assert found, body
    return found[1]


def _post(c: TestClient, path: str, **data: str) -> tuple[int, str]:
    form = data | {"csrf_token": csrf_token(c, "/signin")}
    answer = c.post(path, data=form, follow_redirects=False)
    return answer.status_code, answer.text


def _with_address(c: TestClient, sink: Sink, address: str) -> None:
    """The signed-in account confirms this address through the link mailed to it."""
    assert _post(c, "/account/email", email=address, password=PASSWORD)[0] == 303
    assert _post(c, "/email/confirm", token=_link(sink, address, _CONFIRM))[0] == 303


def test_many_clients_asking_resets_for_one_address_mail_it_three_times(
    mailing: tuple[Settings, Sink], engine: Engine
) -> None:
    # someone with many addresses asks "Forgot your password?" for ada's address again and
    # again: every page says the same, but ada's mailbox gets three links in the hour
    site, sink = mailing
    with client(site, engine) as c:
        sign_up(c, "ada", PASSWORD)
        _with_address(c, sink, "ada@lab.example.edu")
        sign_up(c, "bob", PASSWORD)
        _with_address(c, sink, "bob@lab.example.edu")
    answers = []
    for i in range(5):
        with _from(site, engine, f"198.51.100.{i + 1}") as c:
            answers.append(_post(c, "/signin/forgot", email="ADA@lab.example.edu"))
    assert {code for code, _ in answers} == {200}
    assert all("a link to set a new password is on its way" in page for _, page in answers)
    resets = [m for m in sink.to("ada@lab.example.edu") if m["Subject"] == "Set a new password"]
    assert len(resets) == 3
    with client(site, engine) as c:
        # the last link mailed still works: the requests past the limit did not replace it
        assert c.get(f"/password/set?token={_link(sink, 'ada@lab.example.edu', _SET)}").is_success
        # another address has its own count
        assert _post(c, "/signin/forgot", email="bob@lab.example.edu")[0] == 200
    assert [m["Subject"] for m in sink.to("bob@lab.example.edu")][-1] == "Set a new password"


def test_confirmation_mails_to_one_mailbox_stop_at_three_from_account_pages_and_sign_up(
    mailing: tuple[Settings, Sink], engine: Engine
) -> None:
    # four accounts, each from its own address, ask to make carol's mailbox theirs (name+tag@
    # reaches the same mailbox): each is told a link is on its way, three links go
    site, sink = mailing
    for i in range(4):
        with _from(site, engine, f"198.51.100.{i + 1}") as c:
            sign_up(c, f"mallory{i}", PASSWORD)
            address = f"carol+{i}@uni.example.edu" if i else "carol@uni.example.edu"
            code, _ = _post(c, "/account/email", email=address, password=PASSWORD)
            assert code == 303
            assert "is on its way to it" in c.get("/account").text
    assert len(sink.received) == 3
    assert {r.recipients[0] for r in sink.received} == {
        "carol@uni.example.edu",
        "carol+1@uni.example.edu",
        "carol+2@uni.example.edu",
    }
    # where sign-up needs a confirmed address, sign-ups for dave's address stop mailing too
    closed = web_settings(site, signup_email_domains="uni.example.edu")
    for i in range(4):
        with _from(closed, engine, f"203.0.113.{i + 1}") as c:
            form = {"username": f"eve{i}", "password": PASSWORD, "email": "dave@uni.example.edu"}
            form["csrf_token"] = csrf_token(c, "/signup")
            answer = c.post("/signup", data=form, follow_redirects=False)
            assert answer.status_code == 200
            assert "A link is on its way to dave@uni.example.edu" in answer.text
    assert len(sink.to("dave@uni.example.edu")) == 3
