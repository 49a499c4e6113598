"""A lab's lead shares one reading list with the team: an editor works on all of it (their own
additions and the others') from the library page and through the API alike; a member who only
reads it is refused both ways."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store import collection_editors as editors
from paperfeed.store.accounts import find_user
from paperfeed.store.library import Collection, collection_paper_ids, saved_ids, user_collections
from tests.web_support import DAYS, bearer, client, csrf_token, on_day, post_form, sign_up


def _team_list(lead: TestClient, engine: Engine, ids: list[str]) -> Collection:
    """The lead's unlisted "Team reading" holding `ids`, which "eddie" edits."""
    for pid in ids:
        post_form(lead, f"/papers/{pid}/save", {"collection": "Team reading", "next": "/"})
    with engine.connect() as conn:
        (team,) = user_collections(conn, 1)
    edit = {"name": team.name, "description": "", "visibility": "unlisted"}
    assert post_form(lead, f"/collections/{team.id}/edit", edit).status_code == 303
    added = post_form(lead, f"/collections/{team.id}/editors", {"username": "eddie"})
    assert added.status_code == 303
    return team


def _user_id(engine: Engine, name: str) -> int:
    with engine.connect() as conn:
        found = find_user(conn, name)
    assert found is not None
    return found[0].id


def test_an_editor_takes_every_ticked_paper_out_of_the_team_list_not_only_their_own(
    site: Settings, engine: Engine
) -> None:
    first, second, third = sorted(on_day(engine, DAYS[0]))[:3]
    with client(site, engine) as lead, client(site, engine) as eddie:
        sign_up(lead, "lead")
        sign_up(eddie, "eddie")
        team = _team_list(lead, engine, [first, second])
        with engine.begin() as conn:  # eddie adds one of his own
            editors.put_in(conn, _user_id(engine, "eddie"), team, third)
        form = {
            "paper_id": [first, second, third],
            "action": "take_out",
            "from_collection": str(team.id),
            "next": f"/library?collection={team.id}",
            "csrf_token": csrf_token(eddie, "/"),
        }
        done = eddie.post("/library/bulk", data=form, follow_redirects=False)
        assert done.status_code == 303
        assert "n=3" in done.headers["location"]
        with engine.connect() as conn:
            assert collection_paper_ids(conn, team.id) == []  # the lead's two went too
        shown = eddie.get(done.headers["location"]).text
        assert "3 papers taken out of Team reading." in shown


def test_an_editor_takes_papers_out_through_the_api_bulk_as_on_the_page(
    site: Settings, engine: Engine
) -> None:
    first, second = sorted(on_day(engine, DAYS[0]))[:2]
    with client(site, engine) as lead, client(site, engine) as eddie:
        sign_up(lead, "lead")
        auth = bearer(eddie, "eddie")
        team = _team_list(lead, engine, [first, second])
        body = {"paper_ids": [first, second], "action": "take_out", "from_collection": team.id}
        done = eddie.post("/api/me/library/bulk", json=body, headers=auth)
        assert done.status_code == 200, done.text
        assert done.json()["changed"] == 2 and done.json()["not_saved"] == []
        with engine.connect() as conn:
            assert collection_paper_ids(conn, team.id) == []
            assert saved_ids(conn, 1) == {first, second}  # still in the lead's library


def test_an_editor_lists_the_team_list_through_the_api_as_their_library_page_shows_it(
    site: Settings, engine: Engine
) -> None:
    first, second, third = sorted(on_day(engine, DAYS[0]))[:3]
    with (
        client(site, engine) as lead,
        client(site, engine) as eddie,
        client(site, engine) as vera,
    ):
        sign_up(lead, "lead")
        auth = bearer(eddie, "eddie")
        viewer = bearer(vera, "vera")
        team = _team_list(lead, engine, [first, second])
        put = eddie.put(f"/api/me/collections/{team.id}/papers/{third}", headers=auth)
        assert put.status_code == 200, put.text
        eddie.patch(f"/api/me/library/{third}", json={"note": "mine"}, headers=auth)
        got = eddie.get(f"/api/me/library?collection={team.id}&order=list", headers=auth)
        assert got.status_code == 200, got.text
        items = got.json()
        assert [i["paper"]["id"] for i in items] == [first, second, third]
        assert [i["state"] for i in items] == ["", "", "to_read"]  # his own saved one only
        assert items[2]["note"] == "mine" and items[0]["note"] == ""  # never the lead's own
        assert got.headers["x-total-count"] == "3"
        found = eddie.get(f"/api/me/library?collection={team.id}&q=mine", headers=auth)
        assert [i["paper"]["id"] for i in found.json()] == [third]
        # a member who does not edit it is refused, as the library page refuses them
        refused = vera.get(f"/api/me/library?collection={team.id}", headers=viewer)
        assert refused.status_code == 404
