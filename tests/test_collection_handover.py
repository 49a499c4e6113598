"""A lab's shared reading list when its owner leaves or is suspended: deleting the account
names the collections others edit or follow before it takes them; the owner offers one to an
editor first, who takes it over by accepting; a suspended owner's list is hidden everywhere
until the suspension is lifted; an editor finds the lists shared with them through the API."""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store import collection_editors as editors
from paperfeed.store.accounts import set_admin, set_suspended
from paperfeed.store.erasure import delete_account
from paperfeed.store.library import Collection, collection_paper_ids, saved_ids, user_collections
from paperfeed.store.shared_lists import follower_count, is_following
from tests.web_support import DAYS, client, csrf_token, on_day, post_form, sign_up

LEAD, ANA, CAROL = 1, 2, 3  # user ids in the order the tests sign them up
LIST = "Lab <b>list</b>"  # markup in a name stays text wherever it is shown


def _lab_list(lead: TestClient, engine: Engine, pid: str, visibility: str) -> Collection:
    """The lead's collection `LIST` holding `pid`."""
    post_form(lead, "/collections", {"name": LIST, "visibility": visibility})
    post_form(lead, f"/papers/{pid}/save", {"collection": LIST, "next": "/"})
    with engine.connect() as conn:
        (found,) = [c for c in user_collections(conn, LEAD) if c.name == LIST]
    return found


def _team(site: Settings, engine: Engine, lead: TestClient, ana: TestClient) -> Collection:
    """lead's public list with ana its editor, who has put a paper of her own in."""
    first, second = sorted(on_day(engine, DAYS[0]))[:2]
    sign_up(lead, "lead")
    group = _lab_list(lead, engine, first, "public")
    sign_up(ana, "ana")
    assert post_form(lead, f"/collections/{group.id}/editors", {"username": "ana"}).is_redirect
    put = post_form(ana, f"/papers/{second}/save", {"into": str(group.id), "next": "/"})
    assert put.status_code == 303
    return group


def test_deleting_an_account_names_the_collections_others_edit_or_follow_first(
    site: Settings, engine: Engine
) -> None:
    with (
        client(site, engine) as lead,
        client(site, engine) as ana,
        client(site, engine) as carol,
    ):
        group = _team(site, engine, lead, ana)
        post_form(lead, "/collections", {"name": "Just mine", "visibility": "public"})
        sign_up(carol, "carol")
        assert post_form(carol, f"/c/{group.share_key}/follow", {"follow": "1"}).is_redirect
        page = lead.get("/account/delete").text
        warned = re.search(r'<div class="notice" role="note" id="in-use">(.*?)</div>', page, re.S)
        assert warned is not None
        assert "Lab &lt;b&gt;list&lt;/b&gt;" in warned[1] and "<b>list" not in warned[1]
        assert "1 editor · 1 follower" in warned[1] and "Just mine" not in warned[1]
        assert f"/library?collection={group.id}#editors" in warned[1]
        assert 'id="in-use"' not in carol.get("/account/delete").text  # hers: none others use
        with engine.begin() as conn:
            set_admin(conn, "carol", True)
        asked = carol.post(
            f"/admin/users/{LEAD}/delete", data={"csrf_token": csrf_token(carol, "/")}
        )
        assert asked.status_code == 200
        question = re.search(r"<p>(Delete the account .*?)</p>", asked.text, re.S)
        assert question is not None
        assert "&lt;b&gt;" in question[1]  # inert
        assert unescape(question[1]).endswith(
            f"Its collections that others use go too: “{LIST}” (1 editor, 1 follower)."
        )
        with engine.connect() as conn:
            assert editors.used_by_others(conn, LEAD)[0].collection == group  # nothing gone yet


def test_the_owner_hands_the_list_over_to_an_editor_and_can_then_leave(
    site: Settings, engine: Engine
) -> None:
    with (
        client(site, engine) as lead,
        client(site, engine) as ana,
        client(site, engine) as carol,
    ):
        group = _team(site, engine, lead, ana)
        sign_up(carol, "carol")
        post_form(carol, f"/c/{group.share_key}/follow", {"follow": "1"})
        post_form(ana, f"/c/{group.share_key}/follow", {"follow": "1"})
        owner = f"/collections/{group.id}/owner"
        shown = lead.get(f"/library?collection={group.id}").text
        assert re.search(
            r'<select name="username"><option value="ana">ana</option></select>', shown
        )
        for who, name, status in (
            (lead, "carol", 400),  # not its editor
            (lead, "nobody", 400),
            (ana, "ana", 404),  # not hers to hand over
        ):
            sent = {"username": name, "stay": "1", "confirmed": "1"}
            assert post_form(who, owner, sent).status_code == status
        assert post_form(lead, owner, {"username": "x" * 33}).status_code == 400
        post_form(ana, "/collections", {"name": LIST.upper()})  # that name, her own spelling
        asked = post_form(lead, owner, {"username": "ana", "stay": "1"})
        assert (
            asked.status_code == 200
            and "Offer “Lab &lt;b&gt;list&lt;/b&gt;” to ana? It stays yours" in asked.text
        )
        with engine.connect() as conn:
            assert editors.pending_offer(conn, group.id) is None  # asked: nothing done yet
        offered = post_form(lead, owner, {"username": "ana", "stay": "1", "confirmed": "1"})
        assert offered.status_code == 303 and "already" not in offered.text  # hers to hear
        assert offered.headers["location"] == f"/library?collection={group.id}#editors"
        with engine.connect() as conn:
            assert editors.editor_names(conn, group.id) == ["ana"]  # still lead's, until ana
            assert [c.id for c in user_collections(conn, LEAD) if c.name == LIST] == [group.id]
        accept = f"/collections/{group.id}/owner/accept"
        clash = post_form(ana, accept, {})
        assert clash.status_code == 409 and "you have a collection named" in clash.text
        assert "LAB &lt;B&gt;LIST&lt;/B&gt;" in clash.text  # hers, as she spells it, to find
        with engine.begin() as conn:
            (hers,) = user_collections(conn, ANA)
        post_form(ana, f"/collections/{hers.id}/delete", {"confirmed": "1"})
        handed = post_form(ana, accept, {})
        assert handed.status_code == 303
        assert handed.headers["location"] == f"/library?collection={group.id}"
        with engine.connect() as conn:
            (moved,) = user_collections(conn, ANA)
            papers = collection_paper_ids(conn, group.id)
            assert moved.id == group.id and moved.share_key == group.share_key
            assert set(papers) <= saved_ids(conn, ANA) and len(papers) == 2
            assert editors.editor_names(conn, group.id) == ["lead"]
            assert editors.editable_collection(conn, LEAD, group.id) == moved
            assert not is_following(conn, ANA, moved) and is_following(conn, CAROL, moved)
            assert follower_count(conn, moved) == 1
        said = ana.get(handed.headers["location"]).text
        assert "“Lab &lt;b&gt;list&lt;/b&gt;” is yours now." in said
        rename = {"name": "Renamed", "description": "", "visibility": "public"}
        assert post_form(lead, f"/collections/{group.id}/edit", rename).status_code == 404
        assert post_form(ana, f"/collections/{group.id}/edit", rename).status_code == 303
        assert 'id="in-use"' not in lead.get("/account/delete").text
        with engine.begin() as conn:
            delete_account(conn, LEAD)
        page = carol.get(f"/c/{group.share_key}")
        assert page.status_code == 200 and 'By <a href="/users/ana">ana</a>' in page.text


def test_the_owner_hands_over_through_the_api_and_leaves_the_list(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as lead, client(site, engine) as ana:
        group = _team(site, engine, lead, ana)
        path = f"/api/me/collections/{group.id}/owner"
        token = lead.post(
            "/api/login", json={"username": "lead", "password": "correct horse battery"}
        )
        auth = {"Authorization": f"Bearer {token.json()['token']}"}
        assert lead.put(path, json={"username": "ana", "stai": False}, headers=auth).is_client_error
        assert lead.put(path, json={"username": ""}, headers=auth).status_code == 422
        done = lead.put(path, json={"username": "ANA", "stay": False}, headers=auth)
        assert done.status_code == 200 and done.json()["offered_to"] == "ana"
        assert done.json()["stay"] is False
        ana_token = ana.post(
            "/api/login", json={"username": "ana", "password": "correct horse battery"}
        )
        ana_auth = {"Authorization": f"Bearer {ana_token.json()['token']}"}
        taken = ana.post(f"/api/me/edited-collections/{group.id}/accept", headers=ana_auth)
        assert taken.json() == {"id": group.id, "owner": "ana", "editors": []}
        assert lead.put(path, json={"username": "ana"}, headers=auth).status_code == 404
        with engine.connect() as conn:
            assert editors.editable_collection(conn, LEAD, group.id) is None
            assert [c.id for c in user_collections(conn, ANA)] == [group.id]
        assert "/collections/{collection_id}/owner" in str(lead.get("/openapi.json").json())


def test_a_suspended_owners_list_is_hidden_everywhere_until_it_is_lifted(
    site: Settings, engine: Engine
) -> None:
    third = sorted(on_day(engine, DAYS[0]))[2]
    with (
        client(site, engine) as lead,
        client(site, engine) as ana,
        client(site, engine) as anyone,
    ):
        group = _team(site, engine, lead, ana)
        key = group.share_key
        views = (f"/c/{key}", f"/c/{key}/feed.atom", f"/library?collection={group.id}")
        assert [ana.get(v).status_code for v in views] == [200, 200, 200]
        with engine.begin() as conn:
            set_suspended(conn, LEAD, True)
        assert anyone.get(f"/c/{key}").status_code == 404
        assert [ana.get(v).status_code for v in views] == [404, 404, 404]
        put = post_form(ana, f"/papers/{third}/save", {"into": str(group.id), "next": "/"})
        assert put.status_code == 404
        note = {"paper_id": third, "note": "sneaked in"}
        assert post_form(ana, f"/collections/{group.id}/note", note).status_code == 404
        assert (
            post_form(
                ana, f"/collections/{group.id}/move", {"paper_id": third, "to": "1"}
            ).status_code
            == 404
        )
        assert post_form(ana, f"/c/{key}/copy", {"name": "Mine"}).status_code == 404
        with engine.connect() as conn:
            assert third not in collection_paper_ids(conn, group.id)
            assert editors.editable_collection(conn, ANA, group.id) is None
        with engine.begin() as conn:
            set_suspended(conn, LEAD, False)
        assert [ana.get(v).status_code for v in views] == [200, 200, 200]
        put = post_form(ana, f"/papers/{third}/save", {"into": str(group.id), "next": "/"})
        assert put.status_code == 303


def test_an_editor_lists_the_collections_shared_with_them_through_the_api(
    site: Settings, engine: Engine
) -> None:
    first = sorted(on_day(engine, DAYS[0]))[0]
    with client(site, engine) as lead, client(site, engine) as ana:
        group = _team(site, engine, lead, ana)
        private = _lab_list_named(lead, engine, first, "Private one")
        post_form(lead, f"/collections/{private.id}/editors", {"username": "ana"})
        token = ana.post(
            "/api/login", json={"username": "ana", "password": "correct horse battery"}
        )
        auth = {"Authorization": f"Bearer {token.json()['token']}"}
        assert ana.get("/api/me/collections", headers=auth).json() == []  # hers: none
        got = ana.get("/api/me/edited-collections", headers=auth)
        assert got.status_code == 200 and got.headers["x-total-count"] == "2"
        listed = got.json()
        assert [e["name"] for e in listed] == [LIST, "Private one"]
        public, hidden = listed
        assert (
            public["owner"] == "lead" and public["papers"] == 2 and public["visibility"] == "public"
        )
        assert public["url"].endswith(f"/c/{group.share_key}") and hidden["url"] is None
        assert public["id"] == group.id and re.match(r"\d{4}-\d\d-\d\dT", public["since"])
        paged = ana.get("/api/me/edited-collections?limit=1&p=1", headers=auth)
        assert [e["id"] for e in paged.json()] == [private.id] and "link" in paged.headers
        assert ana.get("/api/me/edited-collections?limit=0", headers=auth).status_code == 422
        ana.cookies.clear()
        assert ana.get("/api/me/edited-collections").status_code == 401
        schema = ana.get("/openapi.json").json()
        out = schema["paths"]["/api/me/edited-collections"]["get"]
        assert "200" in out["responses"] and "EditedOut" in str(out["responses"]["200"])
        with engine.begin() as conn:
            set_suspended(conn, LEAD, True)
        assert ana.get("/api/me/edited-collections", headers=auth).json() == []


def _lab_list_named(lead: TestClient, engine: Engine, pid: str, name: str) -> Collection:
    post_form(lead, f"/papers/{pid}/save", {"collection": name, "next": "/"})
    with engine.connect() as conn:
        (found,) = [c for c in user_collections(conn, LEAD) if c.name == name]
    return found
