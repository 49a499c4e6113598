"""Account mail follow-ups: the address an account had is told (masked new address, date) when a
change is confirmed, not when it is asked for; a change confirmed on a device not signed in as
the account says so there; the links in account mail are links in its HTML part too."""

from __future__ import annotations

import re
from email.message import EmailMessage
from html.parser import HTMLParser

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from paperfeed.settings import Settings
from paperfeed.store.accounts import users
from paperfeed.util import utcnow
from tests.digest_support import smtp_sink
from tests.web_support import client, csrf_token, sign_up, web_settings

PASSWORD = "correct horse battery"
BASE = "http://testserver"
_CONFIRM_RE = re.compile(r"http://testserver/email/confirm\?token=[A-Za-z0-9_\-]+")


def _part(message: EmailMessage, kind: str) -> str:
    body = message.get_body((kind,))
    assert body is not None
    return str(body.get_content())


def _post(c: TestClient, path: str, **data: str) -> int:
    form = data | {"csrf_token": csrf_token(c, "/signin")}
    return c.post(path, data=form, follow_redirects=False).status_code


def _confirm(c: TestClient, message: EmailMessage) -> int:
    found = _CONFIRM_RE.search(_part(message, "plain"))
    assert found, _part(message, "plain")
    return _post(c, "/email/confirm", token=found[0].split("token=")[1])


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hrefs += [v for k, v in attrs if tag == "a" and k == "href" and v]


def _hrefs(message: EmailMessage) -> list[str]:
    parser = _Links()
    parser.feed(_part(message, "html"))
    return parser.hrefs


def test_the_old_address_is_told_when_a_change_is_confirmed(
    settings: Settings, engine: Engine
) -> None:
    with smtp_sink() as sink:
        site = web_settings(settings, smtp_host="127.0.0.1", smtp_port=sink.port, base_url=BASE)
        with client(site, engine) as c:
            sign_up(c, "ada")
            assert _post(c, "/account/email", email="ada@lab.example.edu", password=PASSWORD) == 303
            assert _confirm(c, sink.to("ada@lab.example.edu")[0]) == 303
            assert len(sink.received) == 1  # a first address replaces none: no notice
            assert _post(c, "/account/email", email="new@example.org", password=PASSWORD) == 303
            assert len(sink.to("ada@lab.example.edu")) == 1  # asked for: not told yet
            day = utcnow().strftime("%-d %B %Y")
            assert _confirm(c, sink.to("new@example.org")[0]) == 303
        [notice] = sink.to("ada@lab.example.edu")[1:]
        assert sink.to("new@example.org")[1:] == []
    assert notice["Subject"] == "Your account's email address was changed"
    text = " ".join(_part(notice, "plain").split())
    assert (
        "The email address on your paperfeed account ada on http://testserver was changed" in text
    )
    assert f"to n***@example.org on {day} at " in text and "new@example.org" not in text
    assert "If this was not you" in text and "http://testserver/settings/profile" in text
    assert "http://testserver/settings/profile" in _hrefs(notice)
    with engine.connect() as conn:
        email = conn.execute(select(users.c.email).where(users.c.username == "ada")).scalar()
    assert email == "new@example.org"


def test_a_change_confirmed_on_another_device_says_so_there_and_links_are_links(
    settings: Settings, engine: Engine
) -> None:
    with smtp_sink() as sink:
        site = web_settings(settings, smtp_host="127.0.0.1", smtp_port=sink.port, base_url=BASE)
        with client(site, engine) as c:
            sign_up(c, "lin")
            assert _post(c, "/account/email", email="lin@lab.example.edu", password=PASSWORD) == 303
        [mail] = sink.to("lin@lab.example.edu")
        [link] = _CONFIRM_RE.findall(_part(mail, "plain"))
        assert _hrefs(mail) == [BASE, link]  # clickable in the HTML part, the same addresses
        with client(site, engine) as phone:  # not signed in
            token = link.split("token=")[1]
            done = phone.post(
                "/email/confirm", data={"token": token, "csrf_token": csrf_token(phone, "/signin")}
            )
    assert done.status_code == 200 and "data-done" in done.text
    assert "The email address of the account lin is now lin@lab.example.edu." in done.text
    assert 'href="/signin?next=/account"' in done.text
