"""A reference-manager plugin (Zotero's) and a small CLI working from /openapi.json alone, on
SQLite and PostgreSQL: a shared note's 409 says when the newer note was saved, as documented."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from paperfeed.settings import Settings
from tests.web_support import DAYS, bearer, client, on_day

NOTE = "/api/me/collections/{collection_id}/papers/{paper_id}/note"


def _schema(doc: dict[str, Any], path: str, method: str, status: str) -> dict[str, Any]:
    """The JSON schema the document gives for one answer, its `$ref` followed."""
    content = doc["paths"][path][method]["responses"][status]["content"]
    schema: dict[str, Any] = content["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[1]
    found: dict[str, Any] = doc["components"]["schemas"][name]
    return found


def test_a_note_saved_over_a_newer_one_answers_when_that_one_was_saved(
    site: Settings, engine: Engine
) -> None:
    """The 409 gave the newer note's text, author and version but not its `at`, which the
    200 and `collectionNote` give: a plugin showing "lead, 2 minutes ago" had nothing to show."""
    paper = min(on_day(engine, DAYS[0]))
    with client(site, engine) as c:
        lead, ana = bearer(c, "lead"), bearer(c, "ana")
        saved = c.post(
            "/api/me/library", json={"paper_id": paper, "collection": "Lab"}, headers=lead
        )
        assert saved.status_code == 201, saved.text
        [lab] = c.get("/api/me/collections", headers=lead).json()
        assert c.put(f"/api/me/collections/{lab['id']}/editors/ana", headers=lead).is_success
        path = f"/api/me/collections/{lab['id']}/papers/{paper}/note"
        newer = c.put(path, json={"note": "Read on 12 Dec", "version": 0}, headers=lead)
        assert newer.status_code == 200, newer.text
        clash = c.put(path, json={"note": "Led by Ana", "version": 0}, headers=ana)
        assert clash.status_code == 409, clash.text
        said = clash.json()
        kept = newer.json()
        assert said["at"] is not None and said["at"] == kept["at"]
        assert (said["note"], said["by"], said["version"]) == ("Read on 12 Dec", "lead", 1)
        documented = _schema(c.get("/openapi.json").json(), NOTE, "put", "409")
        assert set(documented["required"]) == set(said)


def test_a_token_asked_read_only_in_another_type_is_refused_not_made_writing(
    site: Settings, engine: Engine
) -> None:
    """`"read_only": 0` (or "no") made a writing token with 201, though the document says
    boolean (schemathesis found it): a script's typo handed out more than it meant."""
    with client(site, engine) as c:
        auth = bearer(c, "cli")
        for sent in (0, 1, "yes", "false", None):
            made = c.post(
                "/api/me/tokens", json={"name": "zotero", "read_only": sent}, headers=auth
            )
            assert made.status_code == 422, (sent, made.text)
            assert "read_only" in made.json()["detail"], made.text
        made = c.post("/api/me/tokens", json={"name": "zotero", "read_only": True}, headers=auth)
        assert made.status_code == 201 and made.json()["read_only"] is True
        token = {"Authorization": f"Bearer {made.json()['token']}"}
        assert (
            c.post("/api/me/library", json={"paper_id": "2606.00001"}, headers=token).status_code
            == 403
        )
