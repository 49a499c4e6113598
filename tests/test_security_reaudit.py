"""Security re-audit of the newest features: a changed password ends everything the old one
could have handed out, sessions end when left idle (both databases)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, Row, select, update

from paperfeed.settings import Settings
from paperfeed.store.accounts import sessions
from paperfeed.util import utcnow
from tests.web_support import HOSTILE_ID, bearer, client, csrf_token, post_form, sign_up

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


def _session(engine: Engine) -> Row[Any]:
    with engine.connect() as conn:
        return conn.execute(select(sessions)).one()


def _set_session(engine: Engine, **values: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(update(sessions).values(**values))


def test_a_sign_in_left_idle_ends_and_one_in_use_lasts_to_its_whole_length(
    site: Settings, engine: Engine
) -> None:
    """With `session_idle_hours`, a browser left signed in on a shared computer, or an API
    token forgotten in a script, stops working once unused that long; using it starts the idle
    limit again, but never past `session_days`."""
    idle = timedelta(hours=2)
    short = site.model_copy(update={"session_idle_hours": 2, "session_days": 30})
    with client(short, engine) as c:
        sign_up(c, "idler", PASSWORD)
        made = _session(engine)
        assert made.expires_at <= made.created_at + idle  # not the 30 days of session_days
        # Unused for all but ten minutes of the limit: a page seen now starts it again.
        _set_session(engine, expires_at=utcnow() + timedelta(minutes=10))
        assert _signed_in(c)
        assert _session(engine).expires_at > utcnow() + idle - timedelta(minutes=5)
        # Near the end of its 30 days, use no longer lengthens it past them.
        created = utcnow() - timedelta(days=30) + timedelta(minutes=30)
        _set_session(engine, created_at=created, expires_at=utcnow() + timedelta(minutes=10))
        assert _signed_in(c)
        assert _session(engine).expires_at == created + timedelta(days=30)
        # Left idle past the limit: signed out, the page asks to sign in.
        _set_session(engine, expires_at=utcnow() - timedelta(seconds=1))
        assert not _signed_in(c)
        c.cookies.clear()
        token = c.post("/api/login", json={"username": "idler", "password": PASSWORD})
        auth = {"Authorization": f"Bearer {token.json()['token']}"}
        assert c.get("/api/me/library", headers=auth).status_code == 200
        _set_session(engine, expires_at=utcnow() - timedelta(seconds=1))
        assert c.get("/api/me/library", headers=auth).status_code == 401


def test_the_idle_limit_can_be_turned_off(site: Settings, engine: Engine) -> None:
    with client(site.model_copy(update={"session_idle_hours": 0}), engine) as c:
        sign_up(c, "forever", PASSWORD)
        made = _session(engine)
        assert made.expires_at == made.created_at + timedelta(days=site.session_days)
        assert _signed_in(c)
        assert _session(engine).expires_at == made.expires_at


@pytest.mark.parametrize("name", ["ada @ada", "Ada Lovelace (@ada)", "Ada ＠ada", "ada﹫admin"])
def test_a_display_name_cannot_carry_a_fake_handle(
    name: str, site: Settings, engine: Engine
) -> None:
    """mallory names herself "ada @ada": beside her real handle her profile, comments and
    claims would read "ada @ada @mallory", the first handle a reader sees being ada's. An "@"
    anywhere in a display name is refused, with the reason beside the field."""
    with client(site, engine) as c:
        sign_up(c, "mallory", PASSWORD)
        refused = post_form(c, "/settings/profile", {"display_name": name})
        assert refused.status_code == 400
        assert "A display name cannot hold “@”: that is how handles look." in refused.text
        profile = c.get("/users/mallory").text
        assert 'class="display-name"' not in profile and "@ada" not in profile


def test_many_accounts_from_one_address_share_its_comment_limit(
    site: Settings, engine: Engine
) -> None:
    """A spammer signing up account after account (each within its own hourly limit) from one
    address is stopped at the address's limit, on the API and the paper page's form alike; a
    reader elsewhere is not."""
    limited = site.model_copy(
        update={"comment_address_rate_limit": 3, "trusted_proxies": "testclient"}
    )
    spammer, elsewhere = {"X-Forwarded-For": "203.0.113.5"}, {"X-Forwarded-For": "198.51.100.7"}
    pid = HOSTILE_ID
    with client(limited, engine) as c:
        first, second = bearer(c, "spam1"), bearer(c, "spam2")

        def comment(auth: dict[str, str], where: dict[str, str], text: str) -> int:
            said = c.post(f"/api/papers/{pid}/comments", json={"body": text}, headers=auth | where)
            return said.status_code

        assert [comment(first, spammer, f"buy {i}") for i in range(2)] == [201, 201]
        assert comment(second, spammer, "buy 2") == 201
        refused = c.post(
            f"/api/papers/{pid}/comments", json={"body": "buy 3"}, headers=second | spammer
        )
        assert refused.status_code == 429
        assert "from one address" in refused.json()["detail"]
        assert int(refused.headers["Retry-After"]) > 0
        assert comment(second, elsewhere, "a real question") == 201
        c.cookies.clear()
        sign_up(c, "spam3", PASSWORD)
        form = {"body": "buy 4", "csrf_token": csrf_token(c, f"/papers/{pid}")}
        page = c.post(f"/papers/{pid}/comments", data=form, headers=spammer)
        assert page.status_code == 429 and "from one address" in page.text
        shown = c.get(f"/api/papers/{pid}/comments").json()
        assert sorted(x["body"] for x in shown) == ["a real question", "buy 0", "buy 1", "buy 2"]


# Compressible answers vary with the encoding too (the test client asks for gzip).
VISITOR_VARY = {"accept-encoding", "cookie", "authorization"}


def _varies(header: str) -> set[str]:
    return {name.strip().lower() for name in header.split(",")}


def test_a_shared_cache_keeps_visitors_pages_apart_from_signed_in_ones(
    site: Settings, engine: Engine
) -> None:
    """A visitor's page (and the API's public answer, with its ETag) says it varies with the
    session cookie and bearer token, whether rendered, kept by the site, or a 304: a proxy must
    not hand it, or its 304, to a signed-in reader; a signed-in page is never kept."""
    with client(site, engine) as c:
        for path in ("/", "/api/daily_papers"):
            first, kept = c.get(path), c.get(path)  # rendered, then the site's kept copy
            for answer in (first, kept):
                assert answer.status_code == 200
                assert "cache-control" not in answer.headers
                assert _varies(answer.headers["vary"]) == VISITOR_VARY
        tag = c.get("/api/daily_papers").headers["etag"]
        unchanged = c.get("/api/daily_papers", headers={"If-None-Match": tag})
        assert unchanged.status_code == 304
        assert {"cookie", "authorization"} <= _varies(unchanged.headers["vary"])
        feed = c.get("/feeds/daily.atom")
        assert feed.headers["vary"] == "Accept-Encoding"  # the same for everyone
        sign_up(c, "reader", PASSWORD)
        mine = c.get("/")
        assert mine.headers["cache-control"] == "private, no-store"
