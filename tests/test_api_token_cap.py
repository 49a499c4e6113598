"""The cap on personal API tokens (50 an account): what a user sees at it, on /account and at
/api/me/tokens (a 409 naming the cap and saying to revoke one), and that only working tokens
count: a revoked one is gone, an expired one makes way for a new one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update

from paperfeed.settings import Settings
from paperfeed.store.accounts import users
from paperfeed.store.api_tokens import MAX_TOKENS, api_tokens, create_token
from paperfeed.util import utcnow
from tests.web_support import bearer, client, csrf_token, sign_up, web_settings

NEW = {"name": "one more"}


@pytest.fixture
def c(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with client(web_settings(settings), engine) as made:
        yield made


def _fill(engine: Engine, username: str, lasts: timedelta | None = None) -> None:
    """The account at the cap: MAX_TOKENS tokens made."""
    with engine.begin() as conn:
        uid = conn.execute(select(users.c.id).where(users.c.username == username)).scalar_one()
        for n in range(MAX_TOKENS):
            create_token(conn, uid, f"bot {n}", lasts, False)


def _held(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(api_tokens)).scalar_one())


def _expire_oldest(engine: Engine) -> None:
    with engine.begin() as conn:
        oldest = select(func.min(api_tokens.c.id)).scalar_subquery()
        ended = utcnow() - timedelta(days=1)
        conn.execute(update(api_tokens).where(api_tokens.c.id == oldest).values(expires_at=ended))


def test_the_api_names_the_cap_and_only_working_tokens_count(c: TestClient, engine: Engine) -> None:
    login = bearer(c, "ada")
    _fill(engine, "ada")
    refused = c.post("/api/me/tokens", json=NEW, headers=login)
    assert refused.status_code == 409
    said = refused.json()["detail"]
    assert f"at most {MAX_TOKENS}" in said and "revoke" in said
    _expire_oldest(engine)  # it no longer works: it no longer counts
    assert c.post("/api/me/tokens", json=NEW, headers=login).status_code == 201
    assert _held(engine) == MAX_TOKENS  # the expired one made way: the list stays bounded
    assert c.post("/api/me/tokens", json=NEW, headers=login).status_code == 409
    listed = c.get("/api/me/tokens", headers=login).json()
    assert len(listed) == MAX_TOKENS and not any(t["expired"] for t in listed)
    gone = c.delete(f"/api/me/tokens/{listed[-1]['id']}", headers=login)
    assert gone.status_code == 200 and gone.json()["removed"] is True
    assert c.post("/api/me/tokens", json=NEW, headers=login).status_code == 201


def test_the_account_page_names_the_cap_and_keeps_the_name(c: TestClient, engine: Engine) -> None:
    sign_up(c, "grace")
    _fill(engine, "grace", timedelta(days=30))
    data = {"name": "lab slack bot", "expires": "never", "csrf_token": csrf_token(c, "/account")}
    page = c.post("/account/tokens", data=data, follow_redirects=False)
    assert page.status_code == 409
    said = re.search(r'id="token-problem" role="alert">([^<]+)<', page.text)
    assert said and f"at most {MAX_TOKENS}" in said[1] and "revoke" in said[1]
    assert 'value="lab slack bot"' in page.text  # what was typed stays
    assert _held(engine) == MAX_TOKENS
