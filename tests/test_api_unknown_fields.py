"""A script that misspells a field of a JSON body, on SQLite and PostgreSQL: `parent_id` for
`parent`, `notes` for `note`. The API answers 422 naming the field and changes nothing, where it
took the rest and did something else (a top-level comment instead of a reply)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from tests.web_support import DAYS, bearer, client, on_day

PASSWORD = "correct horse battery"


def _refused(c: TestClient, method: str, path: str, body: dict[str, Any], field: str) -> None:
    got = c.request(method, path, json=body)
    assert got.status_code == 422, (path, got.status_code, got.text)
    assert got.json()["detail"].startswith(f"{field}: Extra inputs are not permitted"), got.text


def test_a_misspelt_field_is_a_422_naming_it_and_nothing_changes(
    site: Settings, engine: Engine
) -> None:
    pid, other = sorted(on_day(engine, DAYS[0]))[:2]
    with client(site, engine) as c:
        c.headers.update(bearer(c, "bot"))
        c.cookies.clear()
        first = c.post(f"/api/papers/{pid}/comments", json={"body": "first"})
        assert first.status_code == 201, first.text
        parent = first.json()["id"]
        assert c.post("/api/me/library", json={"paper_id": pid}).status_code < 300
        _refused(
            c,
            "POST",
            f"/api/papers/{pid}/comments",
            {"body": "x", "parent_id": parent},
            "parent_id",
        )
        _refused(
            c, "PATCH", f"/api/comments/{parent}", {"body": "edited", "reason": "typo"}, "reason"
        )
        _refused(c, "PATCH", f"/api/me/library/{pid}", {"state": "read", "notes": "n"}, "notes")
        _refused(c, "PUT", f"/api/me/ratings/{other}", {"rating": 1, "why": "good"}, "why")
        bulk = {"paper_ids": [pid], "action": "read", "collection_id": 1}
        _refused(c, "POST", "/api/me/library/bulk", bulk, "collection_id")
        _refused(
            c, "POST", "/api/me/follows", {"kind": "author", "value": "A", "notify": 1}, "notify"
        )
        _refused(c, "POST", "/api/submit", {"id": pid, "tags": ["x"]}, "tags")
        _refused(c, "DELETE", "/api/me", {"password": PASSWORD, "confirm": True}, "confirm")
        login = {"username": "bot", "password": PASSWORD, "remember": True}
        _refused(c, "POST", "/api/login", login, "remember")
        comments = c.get(f"/api/papers/{pid}/comments").json()
        assert [(x["body"], x["replies"]) for x in comments] == [("first", [])]
        saved = c.get("/api/me/library").json()
        assert [(x["paper"]["id"], x["state"], x["note"]) for x in saved] == [(pid, "to_read", "")]
        assert c.get("/api/me/ratings").json() == [] and c.get("/api/me/follows").json() == []
        reply = c.post(f"/api/papers/{pid}/comments", json={"body": "re", "parent": parent})
        assert reply.status_code == 201 and reply.json()["parent"] == parent, reply.text


def test_the_schema_says_no_other_fields_are_taken(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        schemas = c.get("/openapi.json").json()["components"]["schemas"]
    for name in ("CommentIn", "CommentEdit", "ItemEditIn", "RatingIn", "BulkIn", "LoginIn"):
        assert schemas[name]["additionalProperties"] is False, name


def test_a_wrong_password_at_login_is_a_401_that_names_the_scheme(
    site: Settings, engine: Engine
) -> None:
    """Every 401 says what it asks for (WWW-Authenticate: Bearer), a wrong password too."""
    with client(site, engine) as c:
        bearer(c, "bot")
        c.cookies.clear()
        wrong = c.post("/api/login", json={"username": "bot", "password": "not it at all"})
        assert wrong.status_code == 401 and wrong.json()["detail"], wrong.text
        assert wrong.headers["www-authenticate"] == 'Bearer realm="paperfeed"'
        unsigned = c.get("/api/me/library")
        assert unsigned.status_code == 401 and unsigned.headers["www-authenticate"].startswith(
            "Bearer"
        )
