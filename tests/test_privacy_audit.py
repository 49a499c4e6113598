"""A privacy and security audit's findings: two readers and an admin on one site."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store.accounts import find_user, set_suspended
from paperfeed.store.library import new_feed_token
from tests.web_support import client, csrf_token, post_form, sign_up, web_settings

PASSWORD = "correct horse battery"


@pytest.fixture
def small(
    sqlite_settings: Settings, open_migrated: Callable[[Settings], Engine]
) -> Iterator[tuple[Settings, Engine]]:
    """An empty SQLite site with low sign-in limits (3 failures per address and account)."""
    settings = web_settings(sqlite_settings, auth_rate_limit=3)
    engine = open_migrated(settings)
    yield settings, engine
    engine.dispose()


@pytest.fixture
def bob(small: tuple[Settings, Engine]) -> Iterator[TestClient]:
    """Bob, signed in on the small site."""
    with client(*small) as c:
        sign_up(c, "bob", PASSWORD)
        yield c


def test_changing_the_password_guesses_the_current_one_under_the_sign_in_limits(
    bob: TestClient,
) -> None:
    # Someone at bob's unlocked browser must not try password after password through the
    # change-password form, which checks the current one: the sign-in limits apply there too.
    codes = [
        post_form(bob, "/settings/password", {"current": f"guess {i}", "new": "x" * 20}).status_code
        for i in range(5)
    ]
    assert codes[:3] == [400, 400, 400]
    assert codes[3:] == [429, 429]
    # ... and the right password is still refused while the limit lasts (no oracle)
    right = post_form(bob, "/settings/password", {"current": PASSWORD, "new": "y" * 20})
    assert right.status_code == 429


def _user_id(engine: Engine, username: str) -> int:
    with engine.connect() as conn:
        found = find_user(conn, username)
    assert found is not None
    return found[0].id


def test_a_suspended_readers_private_feed_url_stops_with_their_sessions(
    small: tuple[Settings, Engine], bob: TestClient
) -> None:
    _settings, engine = small
    uid = _user_id(engine, "bob")
    with engine.begin() as conn:
        token = new_feed_token(conn, uid)
    assert bob.get(f"/feeds/for-you/{token}.atom").status_code == 200
    with engine.begin() as conn:
        set_suspended(conn, uid, True)
    assert bob.get("/library").status_code == 403  # the session, as before
    refused = bob.get(f"/feeds/for-you/{token}.atom")
    assert refused.status_code == 404 and "revoked" in refused.text


@pytest.mark.parametrize("path", ["/library", "/settings/profile", "/api/me/library", "/"])
def test_signed_in_answers_are_kept_by_no_cache(bob: TestClient, path: str) -> None:
    # a shared proxy must not hand bob's library to the next reader, nor the browser show it
    # from its cache after he signs out
    assert bob.get(path).headers.get("cache-control") == "private, no-store"


def test_anonymous_pages_and_public_feeds_keep_their_caching(
    small: tuple[Settings, Engine],
) -> None:
    with client(*small) as c:
        assert "no-store" not in c.get("/about").headers.get("cache-control", "")
        sign_up(c, "carol", PASSWORD)
        feed = c.get("/feeds/trending.rss")  # the same for everyone, cookie or not
    assert feed.headers["cache-control"].startswith("public")


def test_a_form_token_for_a_planted_csrf_cookie_does_not_pass_for_a_signed_in_reader(
    small: tuple[Settings, Engine], bob: TestClient
) -> None:
    # A neighbouring site (another service under the lab's domain) can plant a CSRF cookie
    # of its choosing in bob's browser, and read the form token that goes with it on any page.
    chosen = "planted-by-the-neighbour"
    with client(*small) as mallory:
        mallory.cookies.set("pf_csrf", chosen)
        forged_token = csrf_token(mallory, "/")
    session = bob.cookies["pf_session"]
    bob.cookies.clear()
    bob.cookies.set("pf_csrf", chosen)
    bob.cookies.set("pf_session", session)
    forged = {"name": "planted", "csrf_token": forged_token}
    assert bob.post("/collections", data=forged, follow_redirects=False).status_code == 403
    assert bob.get("/api/me/collections").json() == []
    # bob's own page's token (for the same cookie, and his session) still works
    made = post_form(bob, "/collections", {"name": "mine"})
    assert made.status_code == 303
    assert [c["name"] for c in bob.get("/api/me/collections").json()] == ["mine"]


def test_a_token_that_is_not_ascii_is_refused_not_a_500(bob: TestClient) -> None:
    form = bob.post("/collections", data={"name": "x", "csrf_token": "é"})
    api = bob.post(
        "/api/me/library", json={"paper_id": "x"}, headers={"X-CSRF-Token": "é.é".encode()}
    )
    assert (form.status_code, api.status_code) == (403, 403)


def test_a_signed_in_pages_form_sent_after_signing_out_elsewhere_asks_to_sign_in(
    bob: TestClient,
) -> None:
    token = csrf_token(bob, "/")
    bob.cookies.delete("pf_session")  # signed out in another tab
    form = {"kind": "category", "value": "cs.LG", "csrf_token": token}
    sent = bob.post("/me/follow", data=form, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"].startswith("/signin")
