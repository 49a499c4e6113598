"""A reading group's organisers share one collection: its owner names editors, who may put
papers in, take them out and write the notes on them, and nothing more; the notes are written
from the library too (a private collection has no shared page)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store import collection_editors as editors
from paperfeed.store.accounts import set_suspended
from paperfeed.store.erasure import delete_account, export_account
from paperfeed.store.library import Collection, collection_paper_ids, saved_ids, user_collections
from paperfeed.store.shared_lists import item_notes
from tests.web_support import DAYS, bearer, client, on_day, post_form, sign_up

LEAD, ANA, STRANGER = 1, 2, 3  # user ids in the order the tests sign them up


def _group(lead: TestClient, engine: Engine, pid: str) -> Collection:
    """The lead's private "Reading group" collection, holding `pid`."""
    post_form(lead, f"/papers/{pid}/save", {"collection": "Reading group", "next": "/"})
    with engine.connect() as conn:
        (group,) = user_collections(conn, LEAD)
    return group


def _status(c: TestClient, path: str, data: dict[str, str]) -> int:
    return int(post_form(c, path, data).status_code)


def test_an_editor_puts_papers_in_takes_them_out_and_writes_notes_from_the_library(
    site: Settings, engine: Engine
) -> None:
    first, second = sorted(on_day(engine, DAYS[0]))[:2]
    with client(site, engine) as lead, client(site, engine) as ana:
        sign_up(lead, "lead")
        group = _group(lead, engine, first)
        sign_up(ana, "ana")
        assert _status(ana, f"/papers/{second}/save", {"into": str(group.id)}) == 404
        added = post_form(lead, f"/collections/{group.id}/editors", {"username": " Ana "})
        assert added.status_code == 303
        page = lead.get(f"/library?collection={group.id}").text
        assert "ana may edit it now." in page
        assert re.search(r'<ul class="editors"><li>ana\b', page)
        shelf = ana.get("/library").text
        assert "shared with you by lead" in shelf
        mine = ana.get(f"/library?collection={group.id}").text
        assert "Shared with you by" in mine and f'id="item-{first}"' in mine
        assert 'aria-label="Edit collection"' not in mine and 'id="editors"' not in mine
        # the editor puts a paper in: in their library, the owner's, and the collection
        put = post_form(ana, f"/papers/{second}/save", {"into": str(group.id), "next": "/"})
        assert put.status_code == 303
        with engine.connect() as conn:
            assert set(collection_paper_ids(conn, group.id)) == {first, second}
            assert second in saved_ids(conn, LEAD) and second in saved_ids(conn, ANA)
        note = {"paper_id": second, "note": "Read on **12 Dec** <script>x</script>"}
        wrote = post_form(ana, f"/collections/{group.id}/note", note)
        assert wrote.status_code == 303
        assert wrote.headers["location"] == f"/library?collection={group.id}#item-{second}"
        owners = lead.get(f"/library?collection={group.id}").text
        assert f'id="item-{second}"' in owners and "<strong>12 Dec</strong>" in owners
        assert "<script>x" not in owners
        # the owner writes a note from the library view of a private collection too
        assert (
            _status(lead, f"/collections/{group.id}/note", {"paper_id": first, "note": "W1"}) == 303
        )
        with engine.connect() as conn:
            assert item_notes(conn, group.id, [first, second]) == {
                first: "W1",
                second: "Read on **12 Dec** <script>x</script>",
            }
        taken = {"paper_id": first, "next": f"/library?collection={group.id}"}
        assert _status(ana, f"/collections/{group.id}/remove", taken) == 303
        with engine.connect() as conn:
            assert collection_paper_ids(conn, group.id) == [second]
        too_long = {"paper_id": second, "note": "x" * 2001}
        assert _status(ana, f"/collections/{group.id}/note", too_long) == 400


def test_an_editor_cannot_rename_share_delete_or_name_editors_and_a_stranger_cannot_edit(
    site: Settings, engine: Engine
) -> None:
    first, second = sorted(on_day(engine, DAYS[0]))[:2]
    with client(site, engine) as lead, client(site, engine) as ana:
        sign_up(lead, "lead")
        group = _group(lead, engine, first)
        sign_up(ana, "ana")
        post_form(lead, f"/collections/{group.id}/editors", {"username": "ana"})
        rename = {"name": "Mine now", "description": "", "visibility": "public"}
        assert _status(ana, f"/collections/{group.id}/edit", rename) == 404
        assert _status(ana, f"/collections/{group.id}/new-link", {}) == 404
        assert _status(ana, f"/collections/{group.id}/delete", {"confirmed": "1"}) == 404
        assert _status(ana, f"/collections/{group.id}/delete", {}) == 404
        assert _status(ana, f"/collections/{group.id}/editors", {"username": "ana"}) == 404
        remove_self = {"username": "ana", "remove": "1"}
        assert _status(ana, f"/collections/{group.id}/editors", remove_self) == 404
        with engine.connect() as conn:
            (kept,) = user_collections(conn, LEAD)
        assert kept == group
        ana.cookies.clear()
        sign_up(ana, "stranger")  # signed in, named by nobody
        into = {"into": str(group.id), "next": "/"}
        assert _status(ana, f"/papers/{second}/save", into) == 404
        assert _status(ana, f"/collections/{group.id}/note", {"paper_id": first}) == 404
        assert _status(ana, f"/collections/{group.id}/remove", {"paper_id": first}) == 404
        assert ana.get(f"/library?collection={group.id}").status_code == 404
        # bad names are said plainly, never a 500
        for name, said in (("nobody", "no reader named"), ("lead", "yours")):
            got = post_form(lead, f"/collections/{group.id}/editors", {"username": name})
            assert got.status_code == 400 and said in got.text
        assert _status(lead, f"/collections/{group.id}/editors", {"username": "x" * 33}) == 400
        with engine.connect() as conn:
            assert collection_paper_ids(conn, group.id) == [first]
            assert editors.editor_names(conn, group.id) == ["ana"]


def test_editors_through_the_api_in_the_export_and_when_accounts_go(
    site: Settings, engine: Engine
) -> None:
    first, second = sorted(on_day(engine, DAYS[0]))[:2]
    with client(site, engine) as lead, client(site, engine) as ana:
        sign_up(lead, "lead")
        group = _group(lead, engine, first)
        lead_auth = {"Authorization": _login(lead, "lead")}
        ana_auth = bearer(ana, "ana")
        path = f"/api/me/collections/{group.id}/editors"
        assert lead.put(f"{path}/nobody", headers=lead_auth).status_code == 400
        assert ana.put(f"{path}/ana", headers=ana_auth).status_code == 404
        named = lead.put(f"{path}/ana", headers=lead_auth)
        assert named.json() == {"editors": ["ana"], "added": True}
        again = lead.put(f"{path}/ANA", headers=lead_auth)
        assert again.json() == {"editors": ["ana"], "added": False}
        assert lead.get(path, headers=lead_auth).json()["editors"] == ["ana"]
        papers = f"/api/me/collections/{group.id}/papers"
        assert ana.put(f"{papers}/{second}", headers=ana_auth).status_code == 200
        assert ana.put(f"{papers}/2606.00000v9", headers=ana_auth).status_code == 404
        note = ana.put(f"{papers}/{second}/note", json={"note": "Week 2"}, headers=ana_auth)
        kept = note.json()  # with who saved it, when and its version (sent back next time)
        assert (kept["paperId"], kept["note"], kept["by"], kept["version"]) == (
            second,
            "Week 2",
            "ana",
            1,
        )
        taken = [ana.delete(f"{papers}/{first}", headers=ana_auth).json() for _ in range(2)]
        assert [t["removed"] for t in taken] == [True, False]
        with engine.connect() as conn:
            assert collection_paper_ids(conn, group.id) == [second]
            exported = export_account(conn, ANA)
        assert exported and [e["collection_id"] for e in exported["edited_collections"]] == [
            group.id
        ]
        dropped = lead.delete(f"{path}/ana", headers=lead_auth)
        assert dropped.json() == {"editors": [], "removed": True}
        assert ana.put(f"{papers}/{first}", headers=ana_auth).status_code == 404
        lead.put(f"{path}/ana", headers=lead_auth)
    with engine.begin() as conn:  # a suspended editor cannot edit; lifted, they can again
        set_suspended(conn, ANA, True)
        assert editors.editable_collection(conn, ANA, group.id) is None
        assert editors.editor_names(conn, group.id) == ["ana"]
        set_suspended(conn, ANA, False)
        assert editors.editable_collection(conn, ANA, group.id) == group
        assert [s.owner for s in editors.shared_with(conn, ANA)] == ["lead"]
        delete_account(conn, ANA)  # an editor's account deleted: no longer an editor
        assert editors.editor_names(conn, group.id) == []
    with engine.begin() as conn:
        assert user_collections(conn, LEAD) == [group]


def test_deleting_the_owners_account_deletes_the_collection_and_its_editorships(
    site: Settings, engine: Engine
) -> None:
    first = sorted(on_day(engine, DAYS[0]))[0]
    with client(site, engine) as lead, client(site, engine) as ana:
        sign_up(lead, "lead")
        group = _group(lead, engine, first)
        sign_up(ana, "ana")
        post_form(lead, f"/collections/{group.id}/editors", {"username": "ana"})
        with engine.begin() as conn:
            assert len(editors.shared_with(conn, ANA)) == 1
            delete_account(conn, LEAD)
            assert editors.shared_with(conn, ANA) == []
            assert editors.editable_collection(conn, ANA, group.id) is None
        assert "shared with you" not in ana.get("/library").text


def _login(c: TestClient, username: str) -> str:
    token = c.post("/api/login", json={"username": username, "password": "correct horse battery"})
    return f"Bearer {token.json()['token']}"


def test_an_editor_exports_the_whole_collection_they_edit(site: Settings, engine: Engine) -> None:
    first, second = sorted(on_day(engine, DAYS[0]))[:2]
    with client(site, engine) as lead, client(site, engine) as ana:
        sign_up(lead, "lead")
        group = _group(lead, engine, first)
        sign_up(ana, "ana")
        assert ana.get(f"/library/export.bib?collection={group.id}").status_code == 404
        post_form(lead, f"/collections/{group.id}/editors", {"username": "ana"})
        post_form(ana, f"/papers/{second}/save", {"into": str(group.id), "next": "/"})
        exported = ana.get(f"/library/export.bib?collection={group.id}")
        assert exported.status_code == 200
        assert first in exported.text and second in exported.text  # the lead's paper too


def test_a_note_typed_while_the_link_changed_or_the_paper_went_is_not_lost(
    site: Settings, engine: Engine
) -> None:
    """An editor writing on the shared page while the owner made a new link got "no such
    collection (it may be private)", and one writing on a paper taken out meanwhile a bare 404:
    both lost their text."""
    first, second = sorted(on_day(engine, DAYS[0]))[:2]
    with client(site, engine) as lead, client(site, engine) as ana:
        sign_up(lead, "lead")
        group = _group(lead, engine, first)
        post_form(lead, f"/papers/{second}/save", {"into": str(group.id), "next": "/"})
        post_form(
            lead,
            f"/collections/{group.id}/edit",
            {"name": "Reading group", "visibility": "unlisted"},
        )
        sign_up(ana, "ana")
        post_form(lead, f"/collections/{group.id}/editors", {"username": "ana"})
        shared = ana.get(f"/c/{group.share_key}").text
        assert f'name="collection" value="{group.id}"' in shared  # the form names it
        post_form(lead, f"/collections/{group.id}/new-link", {"confirmed": "1"})
        note = {"paper_id": first, "note": "Led by Ana", "collection": str(group.id)}
        saved = post_form(ana, f"/c/{group.share_key}/note", note)
        assert saved.status_code == 303, saved.text
        assert saved.headers["location"] == f"/library?collection={group.id}#item-{first}"
        with engine.connect() as conn:
            assert item_notes(conn, group.id, [first]) == {first: "Led by Ana"}
        sign_up(ana, "stranger")  # no editor: the id opens nothing
        assert _status(ana, f"/c/{group.share_key}/note", note | {"note": "x"}) == 404
        with engine.connect() as conn:
            assert item_notes(conn, group.id, [first]) == {first: "Led by Ana"}
        post_form(lead, f"/collections/{group.id}/remove", {"paper_id": second})
        gone = post_form(
            lead, f"/collections/{group.id}/note", {"paper_id": second, "note": "Long thoughts"}
        )
        assert gone.status_code == 404 and "Your note was not saved" in gone.text
        assert "Long thoughts</textarea>" in gone.text
