"""A security re-audit of the day's changes: compressed pages, mailed links, notes, redirects."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from tests.digest_support import Sink, smtp_sink
from tests.web_support import client, csrf_token, sign_up, web_settings

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def small(
    sqlite_settings: Settings, open_migrated: Callable[[Settings], Engine]
) -> Iterator[tuple[Settings, Engine]]:
    """An empty SQLite site."""
    settings = web_settings(sqlite_settings)
    engine = open_migrated(settings)
    yield settings, engine
    engine.dispose()


def _tokens(c: TestClient, path: str) -> set[str]:
    page = c.get(path, headers={"Accept-Encoding": "gzip"})
    assert page.headers.get("content-encoding") == "gzip", path  # compressed: BREACH applies
    found = set(_TOKEN.findall(page.text))
    assert len(found) == 1, path  # one string per response, however many forms
    return found


def _collection(c: TestClient, name: str, token: str) -> int:
    data = {"name": name, "csrf_token": token}
    return c.post("/collections", data=data, follow_redirects=False).status_code


def test_a_compressed_page_carries_its_form_token_masked_afresh_each_time(
    small: tuple[Settings, Engine],
) -> None:
    # A page that echoes a search (what a neighbouring page can make the browser ask) and
    # carries the form token, gzipped, leaks the token through the length (BREACH) if it is
    # the same string in every answer; masked, each answer has another string
    with client(*small) as c:
        # an anonymous page kept in the page cache is masked per answer too
        kept, again = _tokens(c, "/"), _tokens(c, "/")
        assert kept != again
        form = {"username": "bob", "password": PASSWORD, "csrf_token": again.pop()}
        assert c.post("/signup", data=form, follow_redirects=False).status_code == 303
        path = "/search?q=csrf_token+value%3D%22a"
        first, second = _tokens(c, path), _tokens(c, path)
        assert first != second
        assert {_collection(c, f"n{i}", t) for i, t in enumerate(first | second)} == {303}


def test_a_masked_token_from_another_browser_or_altered_is_refused(
    small: tuple[Settings, Engine],
) -> None:
    with client(*small) as mallory, client(*small) as bob:
        sign_up(mallory, "mallory", PASSWORD)
        sign_up(bob, "bob", PASSWORD)
        (theirs,) = _tokens(mallory, "/search?q=x")
        (mine,) = _tokens(bob, "/search?q=x")
        flipped = mine[:-4] + ("AAAA" if mine[-4:] != "AAAA" else "BBBB")
        codes = [_collection(bob, "x", t) for t in (theirs, flipped, mine[:40], "é" * 8)]
        assert codes == [403, 403, 403, 403]
        assert _collection(bob, "ok", mine) == 303


_CONFIRM = re.compile(r"/email/confirm\?token=([A-Za-z0-9_\-]+)")
_SET = re.compile(r"(\S*)/password/set\?token=([A-Za-z0-9_\-]+)")


def _mailed(sink: Sink, address: str, pattern: re.Pattern[str]) -> re.Match[str]:
    body = sink.to(address)[-1].get_body(("plain",))
    assert body is not None
    found = pattern.search(str(body.get_content()))
    assert found, body
    return found


def _post(c: TestClient, path: str, **data: str) -> int:
    form = data | {"csrf_token": csrf_token(c, "/signin")}
    return c.post(path, data=form, follow_redirects=False).status_code


def _confirm_address(c: TestClient, sink: Sink, address: str) -> None:
    assert _post(c, "/account/email", email=address, password=PASSWORD) == 303
    assert _post(c, "/email/confirm", token=_mailed(sink, address, _CONFIRM)[1]) == 303


def test_a_reset_link_mailed_to_an_address_the_account_gave_up_stops_working(
    settings: Settings, engine: Engine
) -> None:
    # ada's old lab mailbox goes to whoever takes her desk: once she moves the account to her
    # new address, a reset link mailed to the old one must not give them her account
    with smtp_sink() as sink:
        site = web_settings(settings, smtp_host="127.0.0.1", smtp_port=sink.port)
        with client(site, engine) as c:
            sign_up(c, "ada", PASSWORD)
            _confirm_address(c, sink, "ada@lab.example.edu")
            assert _post(c, "/signin/forgot", email="ada@lab.example.edu") == 200
            old = _mailed(sink, "ada@lab.example.edu", _SET)[2]
            assert c.get(f"/password/set?token={old}").status_code == 200  # it works until then
            _confirm_address(c, sink, "ada@uni.example.edu")
            assert c.get(f"/password/set?token={old}").status_code == 400
            assert _post(c, "/password/set", token=old, password="taken over " * 3) == 400
            # a link mailed to the address the account has now works
            assert _post(c, "/signin/forgot", email="ada@uni.example.edu") == 200
            new = _mailed(sink, "ada@uni.example.edu", _SET)[2]
            assert c.get(f"/password/set?token={new}").status_code == 200


def test_a_reset_mail_links_to_the_sites_address_whatever_host_the_request_named(
    small: tuple[Settings, Engine],
) -> None:
    settings, engine = small
    with smtp_sink() as sink:
        site = web_settings(settings, smtp_host="127.0.0.1", smtp_port=sink.port)
        with client(site, engine) as c:
            sign_up(c, "ada", PASSWORD)
            _confirm_address(c, sink, "ada@lab.example.edu")
            spoofed = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
            form = {"email": "ada@lab.example.edu", "csrf_token": csrf_token(c, "/signin")}
            assert c.post("/signin/forgot", data=form, headers=spoofed).status_code == 200
        link = _mailed(sink, "ada@lab.example.edu", _SET)[1]
        assert link == site.public_url and "evil" not in link
