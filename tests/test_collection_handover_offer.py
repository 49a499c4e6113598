"""A collection's hand-over is an offer its editor must accept: naming an editor needs no
consent, so a stranger's public list (its notes theirs) could be made a victim's, papers in
their library and all. The owner stays the owner until the editor accepts; the editor may
decline, the owner withdraw; removing the editor or suspending either account ends the offer;
whether the editor has a collection of that name is told to the editor, never the owner."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store import collection_editors as editors
from paperfeed.store.accounts import set_suspended
from paperfeed.store.library import Collection, saved_ids, user_collections
from tests.web_support import DAYS, client, on_day, post_form, sign_up

MALLORY, VICTIM, OTHER = 1, 2, 3  # user ids in the order the tests sign them up
SLUR = "Papers <i>victim</i> plagiarised"  # markup stays text wherever it is shown


def _planted(engine: Engine, mallory: TestClient, victim: TestClient) -> Collection:
    """mallory's public list SLUR, with a note, and victim named its editor (no consent asked)."""
    pid = sorted(on_day(engine, DAYS[0]))[0]
    sign_up(mallory, "mallory")
    sign_up(victim, "victim")
    post_form(mallory, "/collections", {"name": SLUR, "visibility": "public"})
    post_form(mallory, f"/papers/{pid}/save", {"collection": SLUR, "next": "/"})
    with engine.connect() as conn:
        (found,) = user_collections(conn, MALLORY)
    note = {"paper_id": pid, "note": "stolen, see <b>here</b>"}
    assert post_form(mallory, f"/collections/{found.id}/note", note).status_code == 303
    added = post_form(mallory, f"/collections/{found.id}/editors", {"username": "victim"})
    assert added.status_code == 303
    return found


def _offer(owner: TestClient, group: Collection, to: str, stay: str = "1") -> Any:
    sent = {"username": to, "stay": stay, "confirmed": "1"}
    return post_form(owner, f"/collections/{group.id}/owner", sent)


def _login(c: TestClient, name: str) -> dict[str, str]:
    got = c.post("/api/login", json={"username": name, "password": "correct horse battery"})
    return {"Authorization": f"Bearer {got.json()['token']}"}


def _offered(c: TestClient, auth: dict[str, str]) -> dict[int, bool]:
    listed = c.get("/api/me/edited-collections", headers=auth).json()
    return {e["id"]: e["offered"] for e in listed}


def test_a_hand_over_no_longer_makes_anyone_own_a_strangers_list(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as mallory, client(site, engine) as victim:
        group = _planted(engine, mallory, victim)
        offered = _offer(mallory, group, "victim")
        assert offered.status_code == 303
        with engine.connect() as conn:
            assert user_collections(conn, VICTIM) == []
            assert not saved_ids(conn, VICTIM)  # none of its papers in her library
            assert [c.id for c in user_collections(conn, MALLORY)] == [group.id]
        page = victim.get(f"/c/{group.share_key}").text
        assert 'By <a href="/users/mallory">mallory</a>' in page
        auth = _login(victim, "victim")
        assert _offered(victim, auth) == {group.id: True}
        library = victim.get(f"/library?collection={group.id}").text
        offer = re.search(r'<section id="offer".*?</section>', library, re.S)
        assert offer is not None
        assert "Take over “Papers &lt;i&gt;victim&lt;/i&gt; plagiarised”?" in offer[0]
        assert "mallory offers you this collection" in offer[0] and "<i>victim" not in offer[0]
        assert 'class="offer-mark"' in victim.get("/library").text  # beside it in the list
        declined = post_form(victim, f"/collections/{group.id}/owner/decline", {})
        assert declined.status_code == 303
        assert "Offer declined." in victim.get(declined.headers["location"]).text
        assert _offered(victim, auth) == {group.id: False}
        assert 'id="offer"' not in victim.get(f"/library?collection={group.id}").text
        late = post_form(victim, f"/collections/{group.id}/owner/accept", {})
        assert late.status_code == 404  # declined: nothing left to accept
        with engine.connect() as conn:
            assert editors.pending_offer(conn, group.id) is None
            assert user_collections(conn, VICTIM) == []


def test_the_owner_sees_withdraws_and_replaces_the_offer(site: Settings, engine: Engine) -> None:
    with (
        client(site, engine) as lead,
        client(site, engine) as ana,
        client(site, engine) as bobby,
    ):
        group = _planted(engine, lead, ana)
        sign_up(bobby, "bobby")
        post_form(lead, f"/collections/{group.id}/editors", {"username": "bobby"})
        assert "offer-pending" not in lead.get(f"/library?collection={group.id}").text
        _offer(lead, group, "victim")
        shown = lead.get(f"/library?collection={group.id}").text
        assert "Offered to victim: it stays yours until they accept it." in shown
        assert post_form(ana, f"/collections/{group.id}/owner/withdraw", {}).status_code == 404
        _offer(lead, group, "bobby")  # one offer at a time: victim's ends
        auth = _login(lead, "mallory")
        pending = lead.get(f"/api/me/collections/{group.id}/offer", headers=auth).json()
        assert pending["offered_to"] == "bobby" and pending["stay"] is True
        assert post_form(ana, f"/collections/{group.id}/owner/accept", {}).status_code == 404
        gone = post_form(lead, f"/collections/{group.id}/owner/withdraw", {})
        assert gone.status_code == 303
        assert "Offer withdrawn." in lead.get(gone.headers["location"]).text
        assert post_form(bobby, f"/collections/{group.id}/owner/accept", {}).status_code == 404
        path = f"/api/me/collections/{group.id}/offer"
        assert lead.get(path, headers=auth).json()["offered_to"] is None
        lead.put(f"/api/me/collections/{group.id}/owner", json={"username": "bobby"}, headers=auth)
        assert lead.delete(path, headers=auth).json() == {"id": group.id, "removed": True}
        assert lead.delete(path, headers=auth).json() == {"id": group.id, "removed": False}
        assert ana.delete(path, headers=_login(ana, "victim")).status_code == 404
        with engine.connect() as conn:
            assert [c.id for c in user_collections(conn, MALLORY)] == [group.id]


def test_removing_the_editor_or_suspending_either_account_ends_the_offer(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as lead, client(site, engine) as ana:
        group = _planted(engine, lead, ana)
        auth = _login(ana, "victim")
        _offer(lead, group, "victim")
        post_form(lead, f"/collections/{group.id}/editors", {"username": "victim", "remove": "1"})
        post_form(lead, f"/collections/{group.id}/editors", {"username": "victim"})
        assert _offered(ana, auth) == {group.id: False}  # named again: no offer with it
        accept = f"/api/me/edited-collections/{group.id}/accept"
        for who in (MALLORY, VICTIM):
            owner = _login(lead, "mallory")
            put = {"username": "victim"}
            assert lead.put(
                f"/api/me/collections/{group.id}/owner", json=put, headers=owner
            ).is_success
            assert _offered(ana, _login(ana, "victim")) == {group.id: True}
            with engine.begin() as conn:
                set_suspended(conn, who, True)
            with engine.begin() as conn:
                set_suspended(conn, who, False)  # lifting it brings no offer back
            auth = _login(ana, "victim")  # lifting ended the suspended one's tokens
            assert _offered(ana, auth) == {group.id: False}
            assert ana.post(accept, headers=auth).status_code == 404
        with engine.connect() as conn:
            assert [c.id for c in user_collections(conn, MALLORY)] == [group.id]


def test_a_name_clash_is_told_to_the_editor_who_accepts_never_to_the_owner(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as lead, client(site, engine) as ana:
        group = _planted(engine, lead, ana)
        auth = _login(lead, "mallory")
        path = f"/api/me/collections/{group.id}/owner"
        ana_auth = _login(ana, "victim")
        answers = []
        for _ in range(2):  # without, then with, a private collection of that name of hers
            form = _offer(lead, group, "victim")
            said = unescape(lead.get(form.headers["location"]).text)
            api = lead.put(path, json={"username": "victim"}, headers=auth).json()
            told = re.findall(r"data-said>([^<]*)<", said)
            answers.append((form.status_code, told, api["offered_to"]))
            post_form(ana, "/collections", {"name": SLUR, "visibility": "private"})
        assert answers[0] == answers[1]
        assert answers[0][1] == ["Offered to victim: it stays yours until they accept."]
        accept = f"/api/me/edited-collections/{group.id}/accept"
        clash = ana.post(accept, headers=ana_auth)
        assert clash.status_code == 409 and "rename or delete yours" in clash.json()["detail"]
        with engine.connect() as conn:
            (hers,) = user_collections(conn, VICTIM)
        rename = {"name": "Mine", "description": "", "visibility": "private"}
        assert post_form(ana, f"/collections/{hers.id}/edit", rename).status_code == 303
        taken = ana.post(accept, headers=ana_auth)
        assert taken.json() == {"id": group.id, "owner": "victim", "editors": ["mallory"]}
        assert ana.post(accept, headers=ana_auth).status_code == 404  # once


def test_the_hand_over_forms_and_api_need_the_csrf_token(site: Settings, engine: Engine) -> None:
    with client(site, engine) as lead, client(site, engine) as ana:
        group = _planted(engine, lead, ana)
        base = f"/collections/{group.id}/owner"
        forged = {"username": "victim", "stay": "1", "confirmed": "1"}
        assert lead.post(base, data=forged, follow_redirects=False).status_code == 403
        with engine.connect() as conn:
            assert editors.pending_offer(conn, group.id) is None
        _offer(lead, group, "victim")
        for who, action in ((ana, "accept"), (ana, "decline"), (lead, "withdraw")):
            got = who.post(f"{base}/{action}", data={}, follow_redirects=False)
            assert got.status_code == 403, action
            bad = who.post(f"{base}/{action}", data={"csrf_token": "x"}, follow_redirects=False)
            assert bad.status_code == 403, action
        api = (
            (lead, "put", f"/api/me/collections/{group.id}/owner"),
            (lead, "delete", f"/api/me/collections/{group.id}/offer"),
            (ana, "post", f"/api/me/edited-collections/{group.id}/accept"),
            (ana, "post", f"/api/me/edited-collections/{group.id}/decline"),
        )
        for who, method, path in api:  # a cookie session without the X-CSRF-Token header
            body = {"username": "victim"} if method == "put" else None
            assert who.request(method, path, json=body).status_code == 403, path
        with engine.connect() as conn:
            assert editors.pending_offer(conn, group.id) is not None
            assert [c.id for c in user_collections(conn, MALLORY)] == [group.id]
