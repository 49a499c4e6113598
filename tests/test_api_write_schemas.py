"""A client generated from /openapi.json knew nothing of what the API's writes answer (logout,
rating, saving, editing, bulk changes, imports, subscribing): their schemas were empty. Each
now names its fields, and real answers on SQLite and PostgreSQL hold to them."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
from sqlalchemy import Engine

from paperfeed.settings import Settings
from tests.digest_support import Sink
from tests.web_support import DAYS, bearer, client, on_day

_WRITES = ("post", "put", "patch", "delete")


def _schema(doc: dict[str, Any], path: str, method: str, status: int) -> dict[str, Any]:
    content = doc["paths"][path][method]["responses"][str(status)]["content"]
    schema: dict[str, Any] = content["application/json"]["schema"]
    return schema


def _conforms(doc: dict[str, Any], path: str, method: str, status: int, body: object) -> None:
    """The answer is valid against its documented schema, which is not empty."""
    schema = _schema(doc, path, method, status)
    assert schema, f"{method.upper()} {path} documents no schema for {status}"
    full = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"],
        **schema,
    }
    errors = [e.message for e in jsonschema_rs.validator_for(full).iter_errors(body)]
    assert errors == [], (path, method, errors[:3])


def test_no_write_of_the_api_documents_an_empty_answer(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        doc = c.get("/openapi.json").json()
    empty = [
        f"{method.upper()} {path} {status}"
        for path, operations in doc["paths"].items()
        if path.startswith("/api/")
        for method, op in operations.items()
        if method in _WRITES
        for status, answer in op["responses"].items()
        if status.startswith("2")
        and "application/json" in answer.get("content", {})
        and not answer["content"]["application/json"].get("schema")
    ]
    assert empty == []


def test_write_answers_hold_to_their_schemas(site: Settings, engine: Engine, sink: Sink) -> None:
    mailing = site.model_copy(update={"smtp_port": sink.port, "digest_send_rate": 0})
    first, second = sorted(on_day(engine, DAYS[1]))[:2]
    with client(mailing, engine) as c:
        doc = c.get("/openapi.json").json()
        auth = bearer(c, "schemas")
        calls: list[tuple[str, str, str, dict[str, Any], int]] = [
            ("put", "/api/me/ratings/{paper_id}", f"/api/me/ratings/{first}", {"rating": 1}, 200),
            ("post", "/api/me/library", "/api/me/library", {"paper_id": first}, 201),
            ("post", "/api/me/library", "/api/me/library", {"paper_id": first}, 200),
            (
                "patch",
                "/api/me/library/{paper_id}",
                f"/api/me/library/{first}",
                {"state": "read", "note": "Fig. 2"},
                200,
            ),
            (
                "post",
                "/api/me/library/bulk",
                "/api/me/library/bulk",
                {"paper_ids": [first, second], "action": "add", "collection": "Reading group"},
                200,
            ),
        ]
        for method, path, url, body, status in calls:
            got = c.request(method.upper(), url, json=body, headers=auth)
            assert got.status_code == status, (url, got.text)
            _conforms(doc, path, method, status, got.json())
        bib = f"@article{{a, eprint={{{second}}}}}\n@article{{b, title={{No such paper here}}}}\n"
        imported = c.post(
            "/api/me/library/import",
            files={"file": ("refs.bib", bib.encode())},
            data={"collection": "Imported"},
            headers=auth,
        )
        assert imported.status_code == 200, imported.text
        assert imported.json()["unmatched"] and imported.json()["into"]
        _conforms(doc, "/api/me/library/import", "post", 200, imported.json())
        subscribed = c.post("/api/subscribe", json={"email": "reader@example.org"})
        assert subscribed.status_code == 202, subscribed.text
        _conforms(doc, "/api/subscribe", "post", 202, subscribed.json())
        out = c.post("/api/logout", headers=auth)
        assert out.status_code == 200, out.text
        _conforms(doc, "/api/logout", "post", 200, out.json())
