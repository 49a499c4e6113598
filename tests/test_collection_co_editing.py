"""A lab's shared reading list, part three: a suspended editor is not offered as the list's new
owner; an admin about to suspend its owner is told the list goes out of sight of its editors
and followers."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from paperfeed.settings import Settings
from paperfeed.store.accounts import set_admin, set_suspended
from paperfeed.store.collection_editors import editable_collection
from paperfeed.store.library import (
    Collection,
    collection_items,
    collection_paper_ids,
    saved_ids,
    user_collections,
)
from paperfeed.store.shared_lists import item_note
from paperfeed.util import utcnow
from tests.web_support import DAYS, client, csrf_token, on_day, post_form, sign_up

LEAD, ANA, BOB = 1, 2, 3  # user ids in the order the tests sign them up
LIST = "Lab <b>list</b>"  # markup in a name stays text wherever it is shown


def _team(engine: Engine, lead: TestClient, *names: str) -> Collection:
    """lead's public list `LIST` holding one paper, edited by the readers `names`."""
    first = sorted(on_day(engine, DAYS[0]))[0]
    post_form(lead, "/collections", {"name": LIST, "visibility": "public"})
    post_form(lead, f"/papers/{first}/save", {"collection": LIST, "next": "/"})
    with engine.connect() as conn:
        (found,) = user_collections(conn, LEAD)
    for name in names:
        added = post_form(lead, f"/collections/{found.id}/editors", {"username": name})
        assert added.status_code == 303
    return found


def test_a_suspended_editor_is_not_offered_as_the_lists_new_owner(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as lead, client(site, engine) as ana, client(site, engine) as bob:
        sign_up(lead, "lead")
        sign_up(ana, "ana")
        sign_up(bob, "bob")
        group = _team(engine, lead, "ana", "bob")
        page = f"/library?collection={group.id}"
        both = '<select name="username"><option value="ana">ana</option><option value="bob">bob'
        assert both in lead.get(page).text
        with engine.begin() as conn:
            set_suspended(conn, BOB, True)
        shown = lead.get(page).text
        assert re.search(
            r'<select name="username"><option value="ana">ana</option></select>', shown
        )
        assert re.search(
            r"<li>bob <span class=\"muted\">\(suspended\)</span>", shown
        )  # still named
        sent = {"username": "bob", "stay": "1", "confirmed": "1"}
        assert post_form(lead, f"/collections/{group.id}/owner", sent).status_code == 400
        with engine.begin() as conn:
            set_suspended(conn, ANA, True)
        shown = lead.get(page).text
        assert 'aria-label="Hand over this collection"' not in shown  # no one to hand it to
        assert "<li>ana" in shown and "<li>bob" in shown
        with engine.begin() as conn:
            set_suspended(conn, BOB, False)
        assert re.search(
            r'<select name="username"><option value="bob">bob</option></select>',
            lead.get(page).text,
        )


def _asked(page: str) -> str:
    question = re.search(r"<p>(Suspend .*?)</p>", page, re.S)
    assert question is not None, page
    assert "<b>" not in question[1]  # a collection's name inert
    return unescape(question[1])


HIDDEN = (
    " Their collections that others use are hidden from those editors and followers until the"
    f" suspension is lifted: “{LIST}” (1 editor, 1 follower)."
)


def test_the_admins_suspend_question_names_the_lists_hidden_from_editors_and_followers(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as lead, client(site, engine) as ana, client(site, engine) as bob:
        sign_up(lead, "lead")
        sign_up(ana, "ana")
        sign_up(bob, "bob")
        group = _team(engine, lead, "ana")
        post_form(lead, "/collections", {"name": "Just mine", "visibility": "public"})
        assert post_form(bob, f"/c/{group.share_key}/follow", {"follow": "1"}).is_redirect
        with engine.begin() as conn:
            set_admin(conn, "bob", True)
        token = csrf_token(bob, "/")
        asked = bob.post(
            f"/admin/users/{LEAD}/suspend", data={"csrf_token": token, "suspended": "1"}
        )
        assert asked.status_code == 200
        assert "Lab &lt;b&gt;list" in asked.text
        said = _asked(asked.text)
        assert said == "Suspend lead? Their sessions end and they cannot sign in." + HIDDEN
        other = bob.post(
            f"/admin/users/{ANA}/suspend", data={"csrf_token": token, "suspended": "1"}
        )
        assert _asked(other.text) == "Suspend ana? Their sessions end and they cannot sign in."
        bulk = {"csrf_token": token, "action": "suspend", "ids": [str(LEAD), str(ANA)]}
        many = _asked(bob.post("/admin/users/bulk", data=bulk).text)
        assert many.startswith("Suspend 2 accounts (lead, ana)?") and many.endswith(HIDDEN)
        queue = bob.post("/admin/community/suspend/lead", data={"csrf_token": token})
        assert _asked(queue.text).endswith("they cannot sign in or post." + HIDDEN)

        console = bob.get("/admin").text  # what the browser's own question says
        row = re.search(r'<tr data-user="lead">(.*?)</tr>', console, re.S)
        assert row is not None
        questions = [unescape(q) for q in re.findall(r'data-confirm="([^"]*)"', row[1])]
        assert questions[0].endswith(HIDDEN) and "&lt;b&gt;" in row[1]
        assert questions[-1].endswith(
            f"Its collections that others use go too: “{LIST}” (1 editor, 1 follower)."
        )
        ana_row = re.search(r'<tr data-user="ana">(.*?)</tr>', console, re.S)
        assert ana_row is not None and "collections" not in ana_row[1]
        with engine.connect() as conn:
            assert editable_collection(conn, ANA, group.id) == group  # asked: nothing done yet


def test_an_editor_moves_and_copies_team_papers_they_never_saved_into_a_list_of_their_own(
    site: Settings, engine: Engine
) -> None:
    first, second, third, fourth = sorted(on_day(engine, DAYS[0]))[:4]
    with client(site, engine) as lead, client(site, engine) as ana, client(site, engine) as api:
        sign_up(lead, "lead")
        sign_up(ana, "ana")
        login = {"username": "ana", "password": "correct horse battery"}
        auth = {"Authorization": f"Bearer {api.post('/api/login', json=login).json()['token']}"}
        group = _team(engine, lead, "ana")  # holds `first`, saved by lead only
        for pid in (second, third):
            post_form(lead, f"/papers/{pid}/save", {"collection": LIST, "next": "/"})
        form = {
            "paper_id": [first, second],
            "action": "move",
            "collection": "Mine to read",
            "from_collection": str(group.id),
            "next": f"/library?collection={group.id}",
            "csrf_token": csrf_token(ana, "/"),
        }
        moved = ana.post("/library/bulk", data=form, follow_redirects=False)
        assert moved.status_code == 303 and "n=2" in moved.headers["location"]
        with engine.connect() as conn:
            (mine,) = user_collections(conn, ANA)
            assert set(collection_paper_ids(conn, mine.id)) == {first, second}
            assert saved_ids(conn, ANA) == {first, second}  # saved as part of the move
            assert collection_paper_ids(conn, group.id) == [third]  # a move: out of the team's
            assert saved_ids(conn, LEAD) >= {first, second, third}  # still the lead's
        body = {
            "paper_ids": [third, fourth],  # `fourth`: neither saved nor in the list
            "action": "add",
            "collection": "Copied",
            "from_collection": group.id,
        }
        copied = api.post("/api/me/library/bulk", json=body, headers=auth)
        assert copied.status_code == 200, copied.text
        assert copied.json()["changed"] == 1 and copied.json()["not_saved"] == [fourth]
        with engine.connect() as conn:
            (theirs,) = [c for c in user_collections(conn, ANA) if c.name == "Copied"]
            assert collection_paper_ids(conn, theirs.id) == [third]
            assert collection_paper_ids(conn, group.id) == [third]  # a copy: it stays
            assert fourth not in saved_ids(conn, ANA)


def _version(page: str, pid: str) -> str:
    """The note version a page's note form on `pid` sends back."""
    found = re.search(
        rf'name="paper_id" value="{re.escape(pid)}">(?:<input type="hidden" name="next" '
        r'value="[^"]*">)?<input type="hidden" name="version" value="(\d+)">',
        page,
    )
    assert found is not None
    return found[1]


def test_editors_see_who_wrote_a_note_and_a_second_save_keeps_the_first(
    site: Settings, engine: Engine
) -> None:
    first = sorted(on_day(engine, DAYS[0]))[0]
    with (
        client(site, engine) as lead,
        client(site, engine) as ana,
        client(site, engine) as bob,
        client(site, engine) as api,
    ):
        sign_up(lead, "lead")
        sign_up(ana, "ana")
        sign_up(bob, "bob")
        group = _team(engine, lead, "ana")
        page = f"/library?collection={group.id}"
        note = f"/collections/{group.id}/note"
        started = _version(ana.get(page).text, first)  # ana opens the note to write it...
        said = {"paper_id": first, "note": "Read on 12 Dec <script>x()</script>"}
        assert post_form(lead, note, said | {"version": _version(lead.get(page).text, first)})
        with engine.begin() as conn:  # ...and the lead's, saved meanwhile, is 3 days old now
            conn.execute(
                update(collection_items)
                .where(collection_items.c.collection_id == group.id)
                .values(note_at=utcnow() - timedelta(days=3, hours=1))
            )
        shown = ana.get(page).text
        assert "note by lead, 3 days ago" in shown and "<script>x()" not in shown
        assert "note by lead" in ana.get(f"/c/{group.share_key}").text  # her list's page too
        assert "note by lead" not in bob.get(f"/c/{group.share_key}").text  # not a member's

        mine = {"paper_id": first, "note": "Led by <b>Ana</b>", "version": started}
        clash = post_form(ana, note, mine | {"next": page})
        assert clash.status_code == 409
        assert "lead changed this note while you were writing yours" in clash.text
        assert "Read on 12 Dec" in clash.text and "Led by &lt;b&gt;Ana&lt;/b&gt;" in clash.text
        with engine.connect() as conn:
            kept = item_note(conn, group.id, first)
        assert kept is not None and kept.text.startswith("Read on 12 Dec") and kept.by == "lead"
        over = re.search(r'name="version" value="(\d+)"', clash.text)
        assert over is not None and over[1] != started
        saved = post_form(ana, note, mine | {"version": over[1], "next": page})
        assert saved.status_code == 303
        assert "note by ana, just now" in ana.get(page).text
        shared = f"/c/{group.share_key}/note"
        stale = post_form(lead, shared, {"paper_id": first, "note": "x", "version": over[1]})
        assert stale.status_code == 409 and "ana changed this note" in stale.text
        assert post_form(lead, note, {"paper_id": first, "version": "-1"}).status_code == 400

        login = {"username": "ana", "password": "correct horse battery"}
        auth = {"Authorization": f"Bearer {api.post('/api/login', json=login).json()['token']}"}
        path = f"/api/me/collections/{group.id}/papers/{first}/note"
        old = api.put(path, json={"note": "api", "version": int(started)}, headers=auth)
        assert old.status_code == 409
        detail = old.json()
        assert detail["detail"] == "ana changed this note while you were writing yours"
        assert detail["by"] == "ana" and detail["note"] == "Led by <b>Ana</b>"
        done = api.put(path, json={"note": "api", "version": detail["version"]}, headers=auth)
        assert done.status_code == 200 and done.json()["note"] == "api"
        assert api.put(path, json={"note": "anyway"}, headers=auth).status_code == 200
