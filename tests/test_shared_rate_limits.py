"""Sign-up, submission and per-address comment limits are counted in the store: `serve
--workers N` (or N nodes) allows what one process allows, not N times as much."""

from __future__ import annotations

import json
import re
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from paperfeed.settings import Settings
from paperfeed.store import open_store, upsert_papers
from paperfeed.store.rate_limits import rate_limit_events
from paperfeed.web.ratelimit import SharedLimiter
from tests.web_support import HOSTILE, HOSTILE_ID, bearer, client, sign_up, web_settings
from tests.workers_support import Worker, serving

pytestmark = [pytest.mark.slow]
T0 = datetime(2026, 6, 1, 8, 0)
_TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def _events(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(rate_limit_events)).scalar_one())


def test_events_past_their_window_stop_counting_and_are_pruned(engine: Engine) -> None:
    clock = [T0]
    limiter = SharedLimiter(engine, 2, 600, clock=lambda: clock[0])
    assert [limiter.hit("signup:10.0.0.1") for _ in range(2)] == [None, None]
    wait = limiter.hit("signup:10.0.0.1")
    assert wait == 600.0 and _events(engine) == 2  # the refused one is not kept
    assert limiter.hit("signup:10.0.0.2") is None  # another address has its own count
    clock[0] = T0 + timedelta(seconds=601)
    assert limiter.hit("signup:10.0.0.1") is None  # the window has moved on...
    assert _events(engine) == 1  # ...and the rows that no longer count are gone


def test_a_comment_that_is_not_posted_does_not_count(site: Settings) -> None:
    s = web_settings(site, comment_address_rate_limit=2)
    engine = open_store(s)
    with client(s, engine) as c:
        auth = bearer(c, "erin")
        path = f"/api/papers/{HOSTILE_ID}/comments"
        orphan = c.post(path, json={"body": "reply", "parent": 999999}, headers=auth)
        missing = c.post("/api/papers/2606.00000/comments", json={"body": "x"}, headers=auth)
        assert (orphan.status_code, missing.status_code) == (400, 404)
        codes = [
            c.post(path, json={"body": f"note {i}"}, headers=auth).status_code for i in range(3)
        ]
    engine.dispose()
    assert codes == [201, 201, 429]


def test_two_apps_over_one_store_share_the_sign_up_limit(settings: Settings) -> None:
    s = web_settings(settings, auth_rate_limit=2)
    engines = [open_store(s), open_store(s)]
    with ExitStack() as stack:
        a, b = (stack.enter_context(client(s, e)) for e in engines)
        sign_up(a, "ann")
        sign_up(b, "bob")
        refused = b.post(
            "/signup",
            data={"username": "cat", "password": "correct horse battery", "csrf_token": _csrf(b)},
            follow_redirects=False,
        )
    for e in engines:
        e.dispose()
    assert refused.status_code == 429 and "too many attempts" in refused.text


def _csrf(c: TestClient) -> str:
    match = _TOKEN_RE.search(c.get("/signup").text)
    assert match
    return match[1]


def _form(worker: Worker, path: str, fields: dict[str, str]) -> int:
    status, page = worker.ask("GET", "/signup")
    token = _TOKEN_RE.search(page)
    assert status == 200 and token, page[:300]
    body = "&".join(f"{k}={v}" for k, v in (fields | {"csrf_token": token[1]}).items())
    kind = {"Content-Type": "application/x-www-form-urlencoded"}
    return worker.ask("POST", path, body.encode(), kind)[0]


def _signup(worker: Worker, name: str) -> int:
    worker.cookies.pop("pf_session", None)  # each sign-up from a signed-out browser
    return _form(worker, "/signup", {"username": name, "password": "correct+horse+battery"})


def _comment(worker: Worker, token: str, text: str) -> int:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = json.dumps({"body": text}).encode()
    return worker.ask("POST", f"/api/papers/{HOSTILE_ID}/comments", body, headers)[0]


def _token(worker: Worker, name: str) -> str:
    body = json.dumps({"username": name, "password": "correct horse battery"}).encode()
    status, text = worker.ask("POST", "/api/login", body, {"Content-Type": "application/json"})
    assert status == 200, text
    return str(json.loads(text)["token"])


def test_serve_with_two_workers_keeps_one_sign_up_and_comment_limit(
    settings: Settings, tmp_path: Path
) -> None:
    engine = open_store(settings)
    with engine.begin() as conn:
        upsert_papers(conn, [HOSTILE])
    engine.dispose()
    limits = {"auth_rate_limit": "2", "comment_address_rate_limit": "2"}
    with serving(settings, tmp_path, **limits) as (a, b):
        # two sign-ups from this address on one worker use up the limit of 2...
        assert [_signup(a, "ann"), _signup(a, "bob")] == [303, 303]
        # ...and the other worker, with its own memory, refuses the third
        assert _signup(b, "cat") == 429
        ann, bob = _token(a, "ann"), _token(b, "bob")
        # two comments from this address (two accounts) reach the limit, wherever they land
        assert [_comment(a, ann, "first"), _comment(b, bob, "second")] == [201, 201]
        assert [_comment(b, ann, "third"), _comment(a, bob, "fourth")] == [429, 429]
