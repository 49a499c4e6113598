"""A company's private instance: the sign-up policy (open, invite, closed) and private mode."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from paperfeed.cli import app as cli
from paperfeed.settings import Settings
from paperfeed.store.accounts import set_admin, users
from paperfeed.store.invites import create_invite
from paperfeed.store.jobs import recent_actions
from paperfeed.store.library import new_feed_token
from paperfeed.util import utcnow
from paperfeed.web.auth import sign_up as make_account
from paperfeed.web.cache import Cached
from paperfeed.web.deps import SESSION_COOKIE
from tests.web_support import client, csrf_token, sign_up, web_settings

PASSWORD = "correct horse battery"
_INVITE_RE = re.compile(r'value="(http://[^"]+/signup\?invite=([^"]+))"')


def _names(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.scalars(select(users.c.username)))


def _signup(c: TestClient, name: str, invite: str = "") -> Any:
    data = {"username": name, "password": PASSWORD, "csrf_token": csrf_token(c, "/signin")}
    return c.post("/signup", data=data | ({"invite": invite} if invite else {}))


def _admin(engine: Engine, c: TestClient, name: str = "root") -> None:
    """An admin made as `paperfeed user add --admin` does, signed in on `c`."""
    make_account(engine, name, PASSWORD)
    with engine.begin() as conn:
        set_admin(conn, name, True)
    data = {"username": name, "password": PASSWORD, "csrf_token": csrf_token(c)}
    assert c.post("/signin", data=data, follow_redirects=False).status_code == 303


def _make_invite(c: TestClient) -> str:
    page = c.post("/admin/invites", data={"csrf_token": csrf_token(c, "/admin")})
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    found = _INVITE_RE.search(page.text)
    assert found, page.text
    return found[2]


# --- the sign-up policy --------------------------------------------------------------------------


def test_closed_sign_up_says_so_and_refuses_the_form(settings: Settings, engine: Engine) -> None:
    with client(web_settings(settings, signup="closed"), engine) as c:
        page = c.get("/signup")
        assert page.status_code == 403 and "Sign-up is closed on this site" in page.text
        assert 'name="password"' not in page.text
        assert 'href="/signup' not in c.get("/signin").text  # no Sign up button or link
        assert "administrators make the accounts" in c.get("/signin").text
        refused = c.post(
            "/signup",
            data={"username": "mallory", "password": PASSWORD, "csrf_token": csrf_token(c)},
        )
        assert refused.status_code == 403 and "sign-up is closed" in refused.text
        assert "mallory" not in _names(engine)
        # an invite link opens nothing while sign-up is closed
        with engine.begin() as conn:
            token = create_invite(conn, "root", 7)
        assert _signup(c, "mallory", token).status_code == 403
    assert "mallory" not in _names(engine)


def test_an_invite_link_makes_one_account_then_is_refused(
    settings: Settings, engine: Engine
) -> None:
    s = web_settings(settings, signup="invite", invite_days=3)
    with client(s, engine) as admin, client(s, engine) as first, client(s, engine) as second:
        _admin(engine, admin)
        bare = first.get("/signup")
        assert "by invitation only" in bare.text and 'name="password"' not in bare.text
        assert _signup(first, "eve").status_code == 403
        token = _make_invite(admin)
        form = first.get(f"/signup?invite={token}")
        assert form.status_code == 200 and f'name="invite" value="{token}"' in form.text
        made = _signup(first, "alice", token)
        assert made.status_code == 200 and SESSION_COOKIE in first.cookies
        again = _signup(second, "bob", token)
        assert again.status_code == 403 and "no longer works" in again.text
        assert second.get(f"/signup?invite={token}").status_code == 403
        console = admin.get("/admin").text
        assert re.search(r"used\s+by alice", console)
    assert _names(engine) == {"root", "alice"}
    with engine.connect() as conn:
        logged = {(a.who, a.action) for a in recent_actions(conn, 10)}
    assert {("root", "make invite"), ("alice", "sign up by invite")} <= logged


def test_a_revoked_or_expired_invite_is_refused(settings: Settings, engine: Engine) -> None:
    s = web_settings(settings, signup="invite")
    with client(s, engine) as admin, client(s, engine) as guest:
        _admin(engine, admin)
        token = _make_invite(admin)
        [invite_id] = re.findall(r'data-invite="(\d+)"', admin.get("/admin").text)
        revoked = admin.post(
            f"/admin/invites/{invite_id}/revoke",
            data={"csrf_token": csrf_token(admin, "/admin")},
            follow_redirects=False,
        )
        assert revoked.status_code == 303
        assert _signup(guest, "carol", token).status_code == 403
        with engine.begin() as conn:
            old = create_invite(conn, "root", 1, now=utcnow() - timedelta(days=2))
        assert _signup(guest, "carol", old).status_code == 403
        assert "revoked" in admin.get("/admin").text and "expired" in admin.get("/admin").text
        # not an admin: no invites
        assert guest.post("/admin/invites", data={"csrf_token": csrf_token(guest)}).url.path == (
            "/signin"
        )
    with engine.connect() as conn:
        assert ("root", "revoke invite") in {(a.who, a.action) for a in recent_actions(conn)}
    assert "carol" not in _names(engine)


def test_user_invite_prints_a_working_link(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERFEED_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("PAPERFEED_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PAPERFEED_SIGNUP", "invite")
    monkeypatch.setenv("PAPERFEED_BASE_URL", "https://papers.lab.example")
    done = CliRunner().invoke(cli, ["user", "invite", "--days", "2"])
    assert done.exit_code == 0, done.output
    [link] = re.findall(r"https://papers\.lab\.example/signup\?invite=(\S+)", done.output)
    with client(web_settings(settings, signup="invite"), engine) as c:
        assert _signup(c, "dora", link).status_code == 200
    assert "dora" in _names(engine)


# --- private mode -----------------------------------------------------------------------------


def _private(settings: Settings, **more: object) -> Settings:
    return web_settings(settings, private=True, signup="closed", **more)


def test_a_private_site_shows_nothing_to_a_stranger(site: Settings, engine: Engine) -> None:
    with client(_private(site), engine) as c:
        pages = ("/", "/daily?week=2026-W26", "/trending", "/search?q=attention", "/about")
        for path in (*pages, "/venues", "/venues/icml-2026"):
            went = c.get(path, follow_redirects=False)
            assert went.status_code == 303, path
            assert went.headers["location"].startswith("/signin?next=/")
            assert went.headers["x-robots-tag"] == "noindex, nofollow"
        wanted = c.get("/daily?week=2026-W26", follow_redirects=False).headers["location"]
        assert wanted == "/signin?next=/daily%3Fweek%3D2026-W26"
        apis = ("/api/daily_papers", "/feeds/daily.atom", "/openapi.json", "/api/me")
        for path in (*apis, "/api/venues", "/feeds/venue/icml-2026.atom"):
            answer = c.get(path)
            assert answer.status_code == 401, path
            assert "this site is private" in answer.json()["detail"]
        assert c.post("/api/subscribe", json={"email": "a@example.org"}).status_code == 401
        for path in ("/healthz", "/metrics", "/static/favicon.svg", "/signin"):
            assert c.get(path).status_code == 200, path
        robots = c.get("/robots.txt")
        assert robots.text == "User-agent: *\nDisallow: /\n"
        assert "private" in robots.headers["cache-control"]
        # an email's link is reached (it checks its own token), not sent to sign in
        assert c.get("/unsubscribe?token=forged", follow_redirects=False).status_code in (400, 404)


def test_signed_in_readers_and_bearer_tokens_see_everything(site: Settings, engine: Engine) -> None:
    make_account(engine, "ada", PASSWORD)
    with client(_private(site), engine) as c:
        data = {"username": "ada", "password": PASSWORD, "csrf_token": csrf_token(c)}
        data["next"] = "/daily?week=2026-W26"
        back = c.post("/signin", data=data, follow_redirects=False)
        assert back.headers["location"] == "/daily?week=2026-W26"
        page = c.get("/daily?week=2026-W26")
        assert page.status_code == 200 and 'href="/papers/' in page.text
        assert page.headers["x-robots-tag"] == "noindex, nofollow"
        c.cookies.clear()
        token = c.post("/api/login", json={"username": "ada", "password": PASSWORD}).json()
        auth = {"Authorization": f"Bearer {token['token']}"}
        assert c.get("/api/daily_papers?date=2026-06-25", headers=auth).status_code == 200
        assert (
            c.get("/api/daily_papers", headers={"Authorization": "Bearer nope"}).status_code == 401
        )


def test_the_page_cache_never_answers_a_stranger(site: Settings, engine: Engine) -> None:
    make_account(engine, "ada", PASSWORD)
    with client(_private(site), engine) as c:
        served = c.app.state.site  # type: ignore[attr-defined]
        version = served.data_version()
        # as if an earlier rendering had been kept for the current data version
        served.cache.put(("/about", "", version), Cached("<p>lab secrets</p>", "text/html"))
        answer = c.get("/about", follow_redirects=False)
        assert answer.status_code == 303 and "lab secrets" not in answer.text


def test_feed_readers_use_the_private_feed_token(site: Settings, engine: Engine) -> None:
    make_account(engine, "ada", PASSWORD)
    with engine.begin() as conn:
        [ada] = conn.scalars(select(users.c.id).where(users.c.username == "ada"))
        token = new_feed_token(conn, ada)
    with client(_private(site), engine) as c:
        feed = c.get(f"/feeds/daily.atom?token={token}")
        assert feed.status_code == 200 and "<feed" in feed.text
        assert feed.headers["cache-control"].startswith("private")
        assert c.get(f"/feeds/for-you/{token}.atom").status_code == 200
        assert c.get("/feeds/daily.atom").status_code == 401  # the kept answer stays behind
        assert c.get("/feeds/daily.atom?token=guessed").status_code == 401
        assert c.get(f"/api/daily_papers?token={token}").status_code == 401  # feeds only
        assert c.get(f"/about?token={token}", follow_redirects=False).status_code == 303


def test_no_other_origin_may_read_a_private_site(site: Settings, engine: Engine) -> None:
    s = _private(site, cors_origins="https://tools.lab.example")
    make_account(engine, "ada", PASSWORD)
    with client(s, engine) as c:
        token = c.post("/api/login", json={"username": "ada", "password": PASSWORD}).json()
        auth = {"Authorization": f"Bearer {token['token']}"}
        evil = c.get("/api/daily_papers", headers=auth | {"Origin": "https://evil.example"})
        assert evil.status_code == 200 and "access-control-allow-origin" not in evil.headers
        ask = {"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
        preflight = c.options("/api/daily_papers", headers=ask)
        assert preflight.status_code == 400
        assert "access-control-allow-origin" not in preflight.headers
        ours = c.get("/api/daily_papers", headers=auth | {"Origin": "https://tools.lab.example"})
        assert ours.headers["access-control-allow-origin"] == "https://tools.lab.example"
        assert "Origin" in ours.headers["vary"]


def test_an_open_site_is_as_before(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        assert c.get("/", follow_redirects=False).status_code == 200
        assert "x-robots-tag" not in c.get("/").headers
        assert 'href="/signup' in c.get("/").text
        sign_up(c, "anyone")
        public = c.get("/api/daily_papers", headers={"Origin": "https://evil.example"})
        assert public.headers["access-control-allow-origin"] == "*"
