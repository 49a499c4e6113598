"""Security re-audit of the newest features: a changed password ends everything the old one
could have handed out, sessions end when left idle (both databases)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from tests.web_support import client, post_form, sign_up

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a much better one, at last"


def _feed_url(c: TestClient) -> str:
    """A new private feed URL of the signed-in reader (its path)."""
    assert post_form(c, "/for-you/feed-url", {}).status_code == 303
    shown = re.search(r"/feeds/for-you/[\w-]+\.atom", c.get("/for-you/feed-url").text)
    assert shown, "no private feed URL shown"
    return shown[0]


def _signed_in(c: TestClient) -> bool:
    return c.get("/account", follow_redirects=False).status_code == 200


def test_changing_a_leaked_password_ends_other_sessions_tokens_and_the_private_feed_url(
    site: Settings, engine: Engine
) -> None:
    """A reader whose password leaked changes it: the thief's browser session, API token and
    the private feed URL they copied all stop working, the page says so, and the reader's own
    browser stays signed in."""
    with client(site, engine) as mine, client(site, engine) as thief:
        sign_up(mine, "leaky", PASSWORD)
        feed = _feed_url(mine)
        assert mine.get(feed).status_code == 200
        signin = {"username": "leaky", "password": PASSWORD}
        assert post_form(thief, "/signin", signin).status_code == 303
        assert _signed_in(thief)
        token = thief.post("/api/login", json=signin).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        assert thief.get("/api/me/library", headers=auth).status_code == 200

        changed = post_form(mine, "/settings/password", {"current": PASSWORD, "new": NEW_PASSWORD})
        assert changed.status_code == 303
        said = mine.get(changed.headers["location"]).text
        assert "Your other sessions were signed out" in said
        assert "Your private feed URL was revoked too" in said
        assert 'href="/library#private-feed"' in said

        assert not _signed_in(thief)
        assert thief.get("/api/me/library", headers=auth).status_code == 401
        assert thief.get(feed).status_code == 404
        assert mine.get(feed).status_code == 404
        assert _signed_in(mine)
        assert mine.get(_feed_url(mine)).status_code == 200  # a new one works


def test_a_password_change_without_a_feed_url_says_nothing_of_one(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        sign_up(c, "nofeed", PASSWORD)
        changed = post_form(c, "/settings/password", {"current": PASSWORD, "new": NEW_PASSWORD})
        said = c.get(changed.headers["location"]).text
        assert "Your password was changed." in said
        assert "private feed URL was revoked" not in said
