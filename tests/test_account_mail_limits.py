"""Mail asked for one address is limited per address (not only per client), and a new password
ends the reset links mailed before it: SQLite and PostgreSQL, a real SMTP server on loopback."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from paperfeed.cli import app as cli
from paperfeed.settings import Settings
from paperfeed.store.accounts import find_user
from paperfeed.store.email_links import account_email
from paperfeed.web.app import create_app
from tests.digest_support import Sink, smtp_sink
from tests.web_support import client, csrf_token, sign_up, web_settings

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"
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


def test_changing_the_password_on_the_site_ends_reset_links_and_a_waiting_address_change(
    mailing: tuple[Settings, Sink], engine: Engine
) -> None:
    # ada's password leaked: the thief asked a reset link (her lab mailbox, read by others
    # too) and an address change to his mailbox; her new password ends both
    site, sink = mailing
    with client(site, engine) as c:
        sign_up(c, "ada", PASSWORD)
        _with_address(c, sink, "ada@lab.example.edu")
        assert _post(c, "/signin/forgot", email="ada@lab.example.edu")[0] == 200
        reset = _link(sink, "ada@lab.example.edu", _SET)
        assert c.get(f"/password/set?token={reset}").status_code == 200  # it works until then
        code, _ = _post(c, "/account/email", email="thief@evil.example", password=PASSWORD)
        assert code == 303
        change = _link(sink, "thief@evil.example", _CONFIRM)
        assert c.get(f"/email/confirm?token={change}").status_code == 200
        form = {"current": PASSWORD, "new": NEW_PASSWORD, "csrf_token": csrf_token(c)}
        changed = c.post("/settings/password", data=form)
        assert changed.status_code == 200
        assert "Links mailed before to set a new password" in changed.text
        assert c.get(f"/password/set?token={reset}").status_code == 400
        assert _post(c, "/password/set", token=reset, password="taken over " * 3)[0] == 400
        assert _post(c, "/email/confirm", token=change)[0] == 400
    with engine.connect() as conn:  # the address stays hers
        found = find_user(conn, "ada")
        assert found is not None
        assert account_email(conn, found[0].id) == "ada@lab.example.edu"


def test_user_passwd_ends_the_reset_links_mailed_before(
    mailing: tuple[Settings, Sink], engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    site, sink = mailing
    with client(site, engine) as c:
        sign_up(c, "ada", PASSWORD)
        _with_address(c, sink, "ada@lab.example.edu")
        assert _post(c, "/signin/forgot", email="ada@lab.example.edu")[0] == 200
        reset = _link(sink, "ada@lab.example.edu", _SET)
        assert c.get(f"/password/set?token={reset}").status_code == 200
        for key in [k for k in os.environ if k.startswith("PAPERFEED_")]:
            monkeypatch.delenv(key)
        monkeypatch.setenv("PAPERFEED_DATA_DIR", str(site.data_dir))
        if site.database_url:
            monkeypatch.setenv("PAPERFEED_DATABASE_URL", site.database_url)
        args = ["user", "passwd", "ada", "--password-stdin"]
        done = CliRunner().invoke(cli, args, input=f"{NEW_PASSWORD}\n")
        assert done.exit_code == 0, done.output
        assert c.get(f"/password/set?token={reset}").status_code == 400
        assert _post(c, "/password/set", token=reset, password="taken over " * 3)[0] == 400


def test_a_password_set_by_a_mailed_link_ends_a_waiting_address_change(
    mailing: tuple[Settings, Sink], engine: Engine
) -> None:
    site, sink = mailing
    with client(site, engine) as c:
        sign_up(c, "ada", PASSWORD)
        _with_address(c, sink, "ada@lab.example.edu")
        code, _ = _post(c, "/account/email", email="thief@evil.example", password=PASSWORD)
        assert code == 303
        change = _link(sink, "thief@evil.example", _CONFIRM)
        assert _post(c, "/signin/forgot", email="ada@lab.example.edu")[0] == 200
        reset = _link(sink, "ada@lab.example.edu", _SET)
        assert _post(c, "/password/set", token=reset, password=NEW_PASSWORD)[0] == 303
        assert _post(c, "/email/confirm", token=change)[0] == 400
    with engine.connect() as conn:
        found = find_user(conn, "ada")
        assert found is not None
        assert account_email(conn, found[0].id) == "ada@lab.example.edu"
