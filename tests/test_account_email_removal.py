"""Removing an account's email address on /account: it takes the password again (a borrowed
session must not cut the owner off from password resets) and the removed address is told."""

from __future__ import annotations

import re
from email.message import EmailMessage

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from paperfeed.settings import Settings
from paperfeed.store.accounts import users
from tests.digest_support import smtp_sink
from tests.web_support import client, csrf_token, sign_up, web_settings

PASSWORD = "correct horse battery"
ADDRESS = "ada@lab.example.edu"
_REMOVAL_RE = re.compile(r'action="/account/email/remove".*?(<input type="password"[^>]*>)', re.S)


def _email(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(users.c.email).where(users.c.username == "ada")).scalar()


def _remove(c: TestClient, **data: str) -> tuple[int, str]:
    form = data | {"csrf_token": csrf_token(c, "/account")}
    answer = c.post("/account/email/remove", data=form, follow_redirects=False)
    return answer.status_code, answer.text


def _removal_field(page: str) -> str:
    found = _REMOVAL_RE.search(page)
    assert found, "no password field in the removal form"
    return found[1]


def _text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return " ".join(str(body.get_content()).split())


def test_removing_the_address_needs_the_password_and_tells_the_address(
    settings: Settings, engine: Engine
) -> None:
    with smtp_sink() as sink:
        site = web_settings(settings, smtp_host="127.0.0.1", smtp_port=sink.port)
        with client(site, engine) as c:
            sign_up(c, "ada")
            with engine.begin() as conn:
                conn.execute(update(users).where(users.c.username == "ada").values(email=ADDRESS))
            for given in ({}, {"password": "not it"}):  # none, or a wrong one: refused, kept
                status, page = _remove(c, **given)
                assert (
                    status == 400
                    and "that password is not right" in page
                    and "wrong user name" not in page
                )
                assert _email(engine) == ADDRESS and sink.received == []
                assert 'id="remove-problem" role="alert"' in page
                field = _removal_field(page)  # the refusal is tied to the field it is about
                assert (
                    'aria-invalid="true"' in field and 'aria-describedby="remove-problem"' in field
                )
            assert _remove(c, password=PASSWORD)[0] == 303
            assert _email(engine) is None
            assert "has no email address" in c.get("/account").text
        [notice] = sink.to(ADDRESS)
        assert notice["Subject"] == "Your account's email address was removed"
        said = _text(notice)
        assert "removed from your paperfeed account ada on " in said
        assert "If this was not you, someone knows your password" in said


def test_an_account_without_an_address_mails_no_one_on_removal(
    settings: Settings, engine: Engine
) -> None:
    with smtp_sink() as sink:
        site = web_settings(settings, smtp_host="127.0.0.1", smtp_port=sink.port)
        with client(site, engine) as c:
            sign_up(c, "ada")
            assert _remove(c, password=PASSWORD)[0] == 303
        assert sink.received == []
