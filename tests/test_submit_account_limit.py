"""Submissions are limited per account as well as per address: one account submitting from
many addresses is refused (429, Retry-After) past PAPERFEED_SUBMIT_ACCOUNT_RATE_LIMIT, on the
form and the API alike, while other accounts at those addresses go on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.web.app import create_app
from tests.web_support import post_form, sign_up, web_settings

PASSWORD = "correct horse battery"


@contextmanager
def _at(app: FastAPI, address: str, cookies: dict[str, str] | None = None) -> Iterator[TestClient]:
    """A client of `app` from `address` (with another client's cookies: the same browser)."""
    with TestClient(
        app,
        client=(address, 50000),
        cookies=cookies,
        raise_server_exceptions=False,
    ) as c:
        yield c


def test_one_account_from_many_addresses_is_limited(settings: Settings, engine: Engine) -> None:
    strict = web_settings(settings, submit_rate_limit=5, submit_account_rate_limit=3)
    app = create_app(strict, engine)
    with _at(app, "198.51.100.1") as first:
        sign_up(first, "frank")
        codes = [post_form(first, "/submit", {"paper": "nonsense"}).status_code]
        for n in (2, 3, 4):  # the same browser, moving between networks
            with _at(app, f"198.51.100.{n}", dict(first.cookies)) as moved:
                codes.append(post_form(moved, "/submit", {"paper": "nonsense"}).status_code)
                refused = post_form(moved, "/submit", {"paper": "nonsense"}) if n == 4 else None
    assert codes == [400, 400, 400, 429]
    assert refused is not None and refused.status_code == 429
    assert "too many submissions from this account" in refused.text
    assert int(refused.headers["retry-after"]) >= 1
    with _at(app, "198.51.100.4") as other:  # the address itself is under its own limit
        sign_up(other, "gina")
        assert post_form(other, "/submit", {"paper": "nonsense"}).status_code == 400
    with _at(app, "198.51.100.5") as api:  # a bearer token from yet another address
        token = api.post("/api/login", json={"username": "frank", "password": PASSWORD})
        auth = {"Authorization": f"Bearer {token.json()['token']}"}
        answer = api.post("/api/submit", json={"id": "nonsense"}, headers=auth)
    assert answer.status_code == 429, answer.text
    assert "too many submissions from this account" in answer.json()["detail"]
