"""Answers to a script (an Authorization header, no cookie) may be kept in its private cache to
revalidate with If-None-Match; pages signed in by cookie are kept by no cache."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from tests.web_support import bearer, client, sign_up, web_settings


def test_bearer_answers_may_be_kept_to_revalidate_and_cookie_pages_are_not(
    settings: Settings, engine: Engine
) -> None:
    with client(web_settings(settings), engine) as c:
        _check(c)


def _check(c: TestClient) -> None:
    login = bearer(c, "ada")
    made = c.post("/api/me/tokens", json={"name": "poller"}, headers=login)
    token = {"Authorization": f"Bearer {made.json()['token']}"}
    for auth in (login, token):
        got = c.get("/api/me/follows", headers=auth)
        assert got.headers["cache-control"] == "private, no-cache"
        again = c.get("/api/me/follows", headers=auth | {"If-None-Match": got.headers["etag"]})
        assert again.status_code == 304
    sign_up(c, "bob")
    assert c.get("/api/me/follows").headers["cache-control"] == "private, no-store"
    assert c.get("/account").headers["cache-control"] == "private, no-store"
