"""A privacy and security audit's findings: two readers and an admin on one site."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store import open_store
from tests.web_support import client, post_form, sign_up, web_settings

PASSWORD = "correct horse battery"


@pytest.fixture
def small(sqlite_settings: Settings) -> Iterator[tuple[Settings, Engine]]:
    """An empty SQLite site with low sign-in limits (3 failures per address and account)."""
    settings = web_settings(sqlite_settings, auth_rate_limit=3)
    engine = open_store(settings)
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
