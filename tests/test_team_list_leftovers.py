"""Team reading lists, leftovers: the API hands out a collection note's version (the listing of
a collection's papers and the note's PUT), so a client can send it back without first meeting
a 409; a notice from an account deleted since names nobody and links nowhere; the account's
data export holds a team notice's list and paper count."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema_rs
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store.library import Collection, user_collections
from tests.web_support import DAYS, client, on_day, post_form, sign_up

OWNER, EDITOR = 1, 2  # user ids in the order the tests sign them up
PASSWORD = "correct horse battery"


def _team(engine: Engine, owner: TestClient, editor: TestClient, pids: list[str]) -> Collection:
    """eddie edits olive's public list holding `pids`."""
    sign_up(owner, "olive")
    sign_up(editor, "eddie")
    post_form(owner, "/collections", {"name": "Lab list", "visibility": "public"})
    with engine.connect() as conn:
        (found,) = user_collections(conn, OWNER)
    for pid in pids:
        post_form(owner, f"/papers/{pid}/save", {"into": str(found.id), "next": "/"})
    assert post_form(owner, f"/collections/{found.id}/editors", {"username": "eddie"}).is_redirect
    return found


def _api(c: TestClient, username: str) -> dict[str, str]:
    got = c.post("/api/login", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {got.json()['token']}"}


def _conforms(doc: dict[str, Any], path: str, method: str, body: object) -> None:
    """The answer holds to the 200 schema /openapi.json documents for it."""
    answer = doc["paths"][path][method]["responses"]["200"]["content"]["application/json"]
    full = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"],
        **answer["schema"],
    }
    errors = [e.message for e in jsonschema_rs.validator_for(full).iter_errors(body)]
    assert errors == [], (path, method, errors[:3])


def test_the_api_hands_out_a_collection_notes_version(site: Settings, engine: Engine) -> None:
    first, second = sorted(on_day(engine, DAYS[0]))[:2]
    with client(site, engine) as olive, client(site, engine) as eddie:
        group = _team(engine, olive, eddie, [first, second])
        doc = olive.get("/openapi.json").json()
        listed = f"/api/me/library?collection={group.id}&order=list"
        eddie_auth, olive_auth = _api(eddie, "eddie"), _api(olive, "olive")
        shelf = eddie.get(listed, headers=eddie_auth).json()
        _conforms(doc, "/api/me/library", "get", shelf)
        assert [i["collectionNote"] for i in shelf] == [
            {"note": "", "by": None, "at": None, "version": 0}
        ] * 2
        path = f"/api/me/collections/{group.id}/papers/{first}/note"
        wrote = eddie.put(path, json={"note": "Week 1", "version": 0}, headers=eddie_auth)
        assert wrote.status_code == 200
        kept = wrote.json()
        _conforms(doc, "/api/me/collections/{collection_id}/papers/{paper_id}/note", "put", kept)
        assert (kept["paperId"], kept["note"], kept["by"], kept["version"]) == (
            first,
            "Week 1",
            "eddie",
            1,
        )
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z", kept["at"])
        olive.patch(f"/api/me/library/{first}", json={"note": "mine"}, headers=olive_auth)
        seen = olive.get(listed, headers=olive_auth).json()
        assert seen[0]["note"] == "mine"  # her private note, beside the list's public one
        assert seen[0]["collectionNote"] == {k: kept[k] for k in ("note", "by", "at", "version")}
        assert seen[1]["collectionNote"]["version"] == 0
        again = {"note": "Week 2", "version": seen[0]["collectionNote"]["version"]}
        assert olive.put(path, json=again, headers=olive_auth).json()["version"] == 2
        stale = eddie.put(path, json={"note": "x", "version": kept["version"]}, headers=eddie_auth)
        assert stale.status_code == 409 and stale.json()["version"] == 2
        everything = olive.get("/api/me/library", headers=olive_auth).json()
        assert everything and all("collectionNote" not in i for i in everything)


def _notices(c: TestClient) -> list[str]:
    page = c.get("/notifications").text
    return re.findall(r'<article class="comment[^"]*">(.*?)</article>', page, re.S)


def test_a_notice_from_an_account_deleted_since_links_nowhere(
    site: Settings, engine: Engine
) -> None:
    pid = sorted(on_day(engine, DAYS[0]))[0]
    with client(site, engine) as olive, client(site, engine) as eddie:
        group = _team(engine, olive, eddie, [])
        post_form(eddie, f"/papers/{pid}/save", {"into": str(group.id), "next": "/"})
        olive_auth, eddie_auth = _api(olive, "olive"), _api(eddie, "eddie")
        top = olive.post(f"/api/papers/{pid}/comments", json={"body": "Mine"}, headers=olive_auth)
        reply = {"body": "Eddie's answer", "parent": top.json()["id"]}
        assert eddie.post(f"/api/papers/{pid}/comments", json=reply, headers=eddie_auth).is_success
        before = _notices(olive)
        assert len(before) == 2 and all('href="/users/eddie"' in n for n in before)
        assert post_form(eddie, "/account/delete", {"password": PASSWORD}).is_redirect
        replied, added = (" ".join(n.split()) for n in _notices(olive))  # newest first
        assert "<p>A deleted account added 1 paper to" in added
        assert '<p class="comment-head">A deleted account replied to your comment' in replied
        for told in (added, replied):
            assert "/users/" not in told and "@" not in told


def test_the_data_export_holds_a_team_notices_list_and_papers(
    site: Settings, engine: Engine
) -> None:
    pids = sorted(on_day(engine, DAYS[0]))[:3]
    with client(site, engine) as olive, client(site, engine) as eddie:
        group = _team(engine, olive, eddie, [])
        for pid in pids:
            post_form(eddie, f"/papers/{pid}/save", {"into": str(group.id), "next": "/"})
        got = olive.get("/account/export.json")
        assert got.status_code == 200
        (told,) = json.loads(got.text)["notifications"]
        assert (told["kind"], told["collection_id"], told["subject"], told["papers"]) == (
            "list_added",
            group.id,
            "Lab list",
            3,
        )
