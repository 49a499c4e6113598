"""`GET/PATCH /api/me/settings`: "Show my upvotes publicly" from the API, as on /account
(SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from paperfeed.settings import Settings
from tests.web_support import HOSTILE_ID, bearer, client


def test_a_reader_shows_their_upvotes_through_the_api(site: Settings, engine: Engine) -> None:
    """The setting could only be changed on /account; an API client can now read and set it."""
    with client(site, engine) as c:
        auth = bearer(c, "apishown")
        before = c.get("/api/me/settings", headers=auth)
        on = c.patch("/api/me/settings", json={"upvotesPublic": True}, headers=auth)
        kept = c.patch("/api/me/settings", json={}, headers=auth)
        assert c.post(f"/api/papers/{HOSTILE_ID}/upvote", headers=auth).status_code == 200
        named = c.get(f"/api/papers/{HOSTILE_ID}").json()["upvotedBy"]
        page = c.get(f"/papers/{HOSTILE_ID}").text  # a visitor's (cached) page names them
        off = c.patch("/api/me/settings", json={"upvotesPublic": False}, headers=auth)
        unnamed = c.get(f"/api/papers/{HOSTILE_ID}").json()["upvotedBy"]
        later = c.get(f"/papers/{HOSTILE_ID}").text
    assert before.status_code == 200 and before.json() == {"upvotesPublic": False}
    assert on.status_code == 200 and on.json() == {"upvotesPublic": True}
    assert kept.json() == {"upvotesPublic": True}
    assert [u["name"] for u in named] == ["apishown"]
    assert 'href="/users/apishown"' in page
    assert off.json() == {"upvotesPublic": False}
    assert unnamed == []
    assert 'href="/users/apishown"' not in later


@pytest.mark.parametrize(
    "body", [{"upvotesPublic": "yes"}, {"upvotesPublic": 1}, {"upvotesPublik": True}, [True]]
)
def test_a_wrong_setting_is_a_422(site: Settings, engine: Engine, body: object) -> None:
    with client(site, engine) as c:
        auth = bearer(c, "apiwrong")
        wrong = c.patch("/api/me/settings", json=body, headers=auth)
        after = c.get("/api/me/settings", headers=auth).json()
    assert wrong.status_code == 422
    assert after == {"upvotesPublic": False}


def test_the_settings_need_a_reader_and_are_documented(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        anonymous = c.patch("/api/me/settings", json={"upvotesPublic": True})
        doc = c.get("/openapi.json").json()
    assert anonymous.status_code == 401
    operation = doc["paths"]["/api/me/settings"]["patch"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    field = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]["upvotesPublic"]
    assert {"type": "boolean"} in field["anyOf"]
    assert "Show my upvotes publicly" in field["description"]
    assert "4XX" in operation["responses"]  # "a bad parameter (400, 422)"
