"""A reading group's shared collection: members follow it (its new papers reach For you), and
its owner writes a public note on each paper ("read on 12 Dec")."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store.erasure import export_account
from paperfeed.store.library import user_collections
from tests.web_support import DAYS, bearer, client, on_day, post_form, sign_up


def _group_list(lead: TestClient, engine: Engine, ids: list[str], visibility: str) -> str:
    """The lead's "Reading group" collection holding `ids`, shared: its link's key."""
    for pid in ids:
        post_form(lead, f"/papers/{pid}/save", {"collection": "Reading group", "next": "/"})
    with engine.connect() as conn:
        (group,) = user_collections(conn, 1)
    edit = {"name": group.name, "description": "", "visibility": visibility}
    assert post_form(lead, f"/collections/{group.id}/edit", edit).status_code == 303
    return group.share_key


def _news(c: TestClient) -> list[str]:
    """The papers For you lists as new in the collections the reader follows."""
    page = c.get("/for-you").text
    found = re.search(r'<section class="list-news".*?</section>', page, re.S)
    return re.findall(r'<li><a href="/papers/([^"]+)"', found[0]) if found else []


def test_a_member_follows_a_shared_collection_and_its_new_papers_reach_for_you(
    site: Settings, engine: Engine
) -> None:
    first, second, third = sorted(on_day(engine, DAYS[0]))[:3]
    with client(site, engine) as lead, client(site, engine) as member:
        sign_up(lead, "lead")
        key = _group_list(lead, engine, [first, second], "unlisted")
        sign_up(member, "member")
        assert _news(member) == []
        page = member.get(f"/c/{key}").text
        assert 'aria-pressed="false">Follow</button>' in page and "0 followers" in page
        followed = post_form(member, f"/c/{key}/follow", {"follow": "1"})
        assert followed.status_code == 303 and followed.headers["location"] == f"/c/{key}"
        page = member.get(f"/c/{key}").text
        assert 'aria-pressed="true">Following</button>' in page and "1 follower<" in page
        assert set(_news(member)) == {first, second}
        post_form(lead, f"/papers/{third}/save", {"collection": "Reading group", "next": "/"})
        assert _news(member)[0] == third  # the newest addition first
        # the lead cannot follow their own list; a scripted follow is answered in JSON
        assert post_form(lead, f"/c/{key}/follow", {"follow": "1"}).status_code == 400
        answer = member.post(
            f"/c/{key}/follow",
            data={"follow": "0", "csrf_token": _token(member)},
            headers={"Accept": "application/json"},
        )
        assert answer.json() == {"following": False, "followers": 0}
        assert _news(member) == []
        post_form(member, f"/c/{key}/follow", {"follow": "1"})
        with engine.connect() as conn:
            (group,) = user_collections(conn, 1)
        post_form(lead, f"/collections/{group.id}/new-link", {"confirmed": "1"})  # they lose it
        assert _news(member) == []
        with engine.connect() as conn:
            (group,) = user_collections(conn, 1)
        post_form(member, f"/c/{group.share_key}/follow", {"follow": "1"})
        assert len(_news(member)) == 3
        edit = {"name": group.name, "description": "", "visibility": "private"}
        post_form(lead, f"/collections/{group.id}/edit", edit)
        assert _news(member) == []  # made private: nobody else sees it
        assert post_form(member, f"/c/{group.share_key}/follow", {"follow": "1"}).status_code == 404


def _token(c: TestClient) -> str:
    from tests.web_support import csrf_token

    return csrf_token(c, "/")


def test_the_owners_note_on_a_paper_is_shown_under_it_sanitised_and_only_they_write_it(
    site: Settings, engine: Engine
) -> None:
    pid, other = sorted(on_day(engine, DAYS[0]))[:2]
    note = (
        "Read on **12 Dec**, led by Ana.\r\n\r\n<script>alert(1)</script> [x](javascript:alert(2))"
    )
    with client(site, engine) as lead, client(site, engine) as member:
        sign_up(lead, "lead")
        key = _group_list(lead, engine, [pid], "public")
        assert 'name="paper_id" value="' + pid in lead.get(f"/c/{key}").text  # the owner's form
        saved = post_form(lead, f"/c/{key}/note", {"paper_id": pid, "note": note})
        assert saved.status_code == 303 and saved.headers["location"] == f"/c/{key}#note-{pid}"
        sign_up(member, "member")
        page = member.get(f"/c/{key}").text
        after = page.split(f'<div class="list-entry" id="note-{pid}">', 1)[1]
        entry = re.search(r'</article>\s*<div class="list-note">(.*?)</div>', after, re.S)
        assert entry and "<strong>12 Dec</strong>" in entry[0]
        assert "<script>alert" not in page and 'href="javascript:' not in page
        assert 'name="paper_id"' not in page  # no form for a member
        assert (
            post_form(member, f"/c/{key}/note", {"paper_id": pid, "note": "mine"}).status_code
            == 404
        )
        assert (
            post_form(lead, f"/c/{key}/note", {"paper_id": other, "note": "x"}).status_code == 404
        )
        too_long = post_form(lead, f"/c/{key}/note", {"paper_id": pid, "note": "x" * 2001})
        assert too_long.status_code == 400 and "2,000" in too_long.text
        post_form(member, f"/c/{key}/follow", {"follow": "1"})
        news = member.get("/for-you").text
        assert "<strong>12 Dec</strong>" in news  # the note travels with the paper to For you
        removed = post_form(lead, f"/c/{key}/note", {"paper_id": pid, "note": "  "})
        assert removed.status_code == 303
        assert "12 Dec" not in member.get(f"/c/{key}").text


def test_follows_and_notes_through_the_api_and_in_the_account_export(
    site: Settings, engine: Engine
) -> None:
    pid = sorted(on_day(engine, DAYS[0]))[0]
    with client(site, engine) as lead, client(site, engine) as member:
        sign_up(lead, "lead")
        key = _group_list(lead, engine, [pid], "unlisted")
        with engine.connect() as conn:
            (group,) = user_collections(conn, 1)
        auth = bearer(member, "member")
        assert member.get("/api/me/followed-collections", headers=auth).json() == []
        put = member.put(f"/api/me/followed-collections/{key}", headers=auth)
        assert put.json() == {"following": True, "followers": 1}
        listed = member.get("/api/me/followed-collections", headers=auth).json()
        assert listed == [
            {
                "id": group.id,
                "name": "Reading group",
                "description": "",
                "url": f"{site.public_url.rstrip('/')}/c/{key}",  # absolute, as the others
            }
        ]
        assert member.put("/api/me/followed-collections/nope", headers=auth).status_code == 404
        path = f"/api/me/collections/{group.id}/papers/{pid}/note"
        assert member.put(path, json={"note": "x"}, headers=auth).status_code == 404  # not theirs
        lead_auth = {"Authorization": bearer_of(lead, "lead")}
        wrote = lead.put(path, json={"note": "Week 1"}, headers=lead_auth)
        kept = wrote.json()  # with who saved it, when and its version (sent back next time)
        assert (kept["paperId"], kept["note"], kept["by"], kept["version"]) == (
            pid,
            "Week 1",
            "lead",
            1,
        )
        assert lead.put(path, json={"note": "x" * 2001}, headers=lead_auth).status_code == 422
        with engine.connect() as conn:
            member_data = export_account(conn, 2)
            lead_data = export_account(conn, 1)
        assert member_data and [
            f["collection_id"] for f in member_data["followed_collections"]
        ] == [group.id]
        assert lead_data and lead_data["collections"][0]["papers"][0]["note"] == "Week 1"
        gone = member.delete(f"/api/me/followed-collections/{key}", headers=auth)
        assert gone.json() == {"following": False, "followers": 0, "removed": True}
        again = member.delete(f"/api/me/followed-collections/{key}", headers=auth)
        assert again.json() == {"following": False, "followers": 0, "removed": False}


def bearer_of(c: TestClient, username: str) -> str:
    """A bearer token of an existing account, logging in through the API."""
    token = c.post("/api/login", json={"username": username, "password": "correct horse battery"})
    return f"Bearer {token.json()['token']}"
