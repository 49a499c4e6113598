"""A collection's own order arranged from the library: a private collection has no shared page,
so its owner (or an editor) picks 'the list's order' in the library view and moves papers there
with plain forms."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store.library import collection_paper_ids, user_collections
from tests.web_support import DAYS, client, on_day, post_form, sign_up


def _private_list(c: TestClient, engine: Engine, ids: list[str]) -> int:
    """The reader's private "Thesis" collection holding `ids`, put in one at a time: its id."""
    for pid in ids:
        post_form(c, f"/papers/{pid}/save", {"collection": "Thesis", "next": "/"})
    with engine.connect() as conn:
        (found,) = user_collections(conn, 1)
    assert found.visibility == "private"
    return found.id


def _shown(page: str) -> list[str]:
    return re.findall(r'<article class="library-item" data-id="([^"]+)"', page)


def test_the_owner_orders_a_private_collection_from_the_library(
    site: Settings, engine: Engine
) -> None:
    ids = sorted(on_day(engine, DAYS[0]))[:4]
    with client(site, engine) as owner:
        sign_up(owner, "owner")
        col = _private_list(owner, engine, ids)
        newest = owner.get(f"/library?collection={col}").text
        assert "the list’s order" in newest and "Move up" not in newest
        page = owner.get(f"/library?collection={col}&order=list").text
        assert _shown(page) == ids  # as they were put in
        assert "Place 1 of 4" in page and "Place 4 of 4" in page
        assert page.count(">Move up</button>") == 3 and page.count(">Move down</button>") == 3
        moved = post_form(owner, f"/collections/{col}/move", {"paper_id": ids[2], "to": "2"})
        assert moved.status_code == 303
        assert moved.headers["location"] == f"/library?collection={col}&order=list#item-{ids[2]}"
        post_form(owner, f"/collections/{col}/move", {"paper_id": ids[0], "to": "99"})  # last
        wanted = [ids[2], ids[1], ids[3], ids[0]]
        page = owner.get(f"/library?collection={col}&order=list").text
        assert _shown(page) == wanted and "Moved to place 4 of the list." in page
        with engine.connect() as conn:
            assert collection_paper_ids(conn, col, "list") == wanted
            (found,) = user_collections(conn, 1)
        assert found.ordered  # the order readers would get once it is shared
        # the places stay the list's when only part of it is shown
        found_one = owner.get(f"/library?collection={col}&order=list&state=to_read").text
        assert f"Place {wanted.index(ids[1]) + 1} of 4" in found_one


def test_moves_from_the_library_that_cannot_be_made_are_refused(
    site: Settings, engine: Engine
) -> None:
    ids = sorted(on_day(engine, DAYS[0]))[:3]
    with client(site, engine) as owner, client(site, engine) as other:
        sign_up(owner, "owner")
        col = _private_list(owner, engine, ids[:2])
        sign_up(other, "other")
        stranger = post_form(other, f"/collections/{col}/move", {"paper_id": ids[0], "to": "2"})
        assert stranger.status_code == 404
        missing = post_form(owner, f"/collections/{col}/move", {"paper_id": ids[2], "to": "1"})
        assert missing.status_code == 404
        for to in ("0", "", "two", "-1"):
            bad = post_form(owner, f"/collections/{col}/move", {"paper_id": ids[0], "to": to})
            assert bad.status_code == 400, to
        assert owner.get("/library?order=list").status_code == 400  # no collection chosen
        assert owner.get(f"/library?collection={col}&order=sideways").status_code in (400, 422)
        with engine.connect() as conn:
            assert collection_paper_ids(conn, col, "list") == ids[:2]  # nothing moved


def test_the_account_export_holds_each_papers_place_in_the_list(
    site: Settings, engine: Engine
) -> None:
    ids = sorted(on_day(engine, DAYS[0]))[:3]
    with client(site, engine) as owner:
        sign_up(owner, "owner")
        col = _private_list(owner, engine, ids)
        before = json.loads(owner.get("/account/export.json").text)
        [group] = before["collections"]
        assert group["ordered"] is False
        assert {p["paper_id"]: p["position"] for p in group["papers"]} == {
            pid: n
            for n, pid in enumerate(ids, 1)  # as they were put in
        }
        post_form(owner, f"/collections/{col}/move", {"paper_id": ids[2], "to": "1"})
        after = json.loads(owner.get("/account/export.json").text)
    [group] = after["collections"]
    assert group["ordered"] is True
    places = {p["paper_id"]: p["position"] for p in group["papers"]}
    assert sorted(places, key=places.__getitem__) == [ids[2], ids[0], ids[1]]
