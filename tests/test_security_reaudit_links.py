"""A security re-audit of the day's changes: compressed pages, mailed links, notes, redirects."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store import open_store
from tests.web_support import client, sign_up, web_settings

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def small(sqlite_settings: Settings) -> Iterator[tuple[Settings, Engine]]:
    """An empty SQLite site."""
    settings = web_settings(sqlite_settings)
    engine = open_store(settings)
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
