"""A data scientist's notebook against the JSON API, on SQLite and PostgreSQL: many papers by id
in one call, and answers that hold what the schema says (follows and mutes included)."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store.listings import set_flags
from paperfeed.web.api import MAX_IDS
from tests.web_support import DAYS, bearer, client, on_day


def _conforms(doc: dict[str, Any], path: str, method: str, status: int, body: object) -> None:
    """The answer body is valid against the operation's documented schema (which is not empty)."""
    content = doc["paths"][path][method]["responses"][str(status)]["content"]
    schema = content["application/json"]["schema"]
    assert schema, f"{method.upper()} {path} documents no schema for {status}"
    full = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"],
        **schema,
    }
    errors = [e.message for e in jsonschema_rs.validator_for(full).iter_errors(body)]
    assert errors == [], (path, method, errors[:3])


def test_many_papers_come_in_one_call_in_the_order_asked(site: Settings, engine: Engine) -> None:
    """`GET /api/papers?ids=` answers each asked paper once, in the order asked, as the one-paper
    call shapes it; ids not here (unknown or hidden) are left out and named in X-Not-Found."""
    ids = sorted(on_day(engine, DAYS[0]))[:3]
    with engine.begin() as conn:
        set_flags(conn, ids[2], hidden=True, featured=False)
    with client(site, engine) as c:
        doc = c.get("/openapi.json").json()
        asked = f"{ids[1]},{ids[0]}v1,9912.99999,{ids[1]},{ids[2]}"
        got = c.get("/api/papers", params={"ids": asked})
        assert got.status_code == 200, got.text
        assert [p["id"] for p in got.json()] == [ids[1], ids[0]]
        assert got.headers["x-not-found"] == f"9912.99999,{ids[2]}"
        _conforms(doc, "/api/papers", "get", 200, got.json())
        one = c.get(f"/api/papers/{ids[1]}").json()
        assert got.json()[0] == {k: v for k, v in one.items() if k in got.json()[0]}
        repeated = c.get("/api/papers", params=[("ids", ids[0]), ("ids", ids[1])])
        assert [p["id"] for p in repeated.json()] == ids[:2]
        assert "x-not-found" not in repeated.headers
        again = c.get(
            "/api/papers", params={"ids": asked}, headers={"If-None-Match": got.headers["etag"]}
        )
        assert again.status_code == 304


def test_a_bad_batch_of_ids_is_a_400_that_names_it(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        too_many = ",".join(f"2606.{n:05d}" for n in range(MAX_IDS + 1))
        for params, says in [
            ({"ids": too_many}, f"at most {MAX_IDS}"),
            ({"ids": "2606.00001,<script>"}, "not an arXiv id"),
            ({"ids": " , "}, "at least one"),
        ]:
            got = c.get("/api/papers", params=params)
            assert got.status_code == 400, got.text
            assert says in got.json()["detail"] and got.json()["detail"].startswith("ids:")
        assert c.get("/api/papers").status_code == 422


def test_follows_and_mutes_answer_what_their_schema_says(site: Settings, engine: Engine) -> None:
    """The lists of follows and mutes, and one just added, had no schema: a client generated
    from /openapi.json knew nothing of `kind`, `value` and `label`."""
    with client(site, engine) as c:
        auth = bearer(c, "notebook")
        doc = c.get("/openapi.json").json()
        for path, body in [
            ("/api/me/follows", {"kind": "author", "value": "Ada Lovelace"}),
            ("/api/me/mutes", {"kind": "keyword", "value": "benchmark"}),
        ]:
            added = c.post(path, json=body, headers=auth)
            assert added.status_code == 201, added.text
            _conforms(doc, path, "post", 201, added.json())
            listed = c.get(path, headers=auth)
            assert listed.json() == [added.json()]
            _conforms(doc, path, "get", 200, listed.json())
            assert set(added.json()) == {"kind", "value", "label"}
