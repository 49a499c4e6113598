"""A private collection's sections in its owner's library: a programme pasted into a new
collection (private by default) shows there under its headings, and its owner arranges them
with the same forms as on a shared page, coming back to the library."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from paperfeed.settings import Settings
from paperfeed.store import collection_sections as cs
from paperfeed.store import library as lib
from tests.test_web_collection_sections import (
    CHAOS,
    GRAPHS,
    LOOSE,
    PROGRAMME,
    SENSORS,
    _headings_and_papers,
    _site,
)
from tests.web_support import post_form, sign_in_as


def _pasted(c: TestClient, engine: Engine) -> lib.Collection:
    """Ada pastes the programme into a new collection "Workshop" (made private)."""
    token = sign_in_as(c, "ada", new=True)
    sent = {"text": PROGRAMME, "collection": "Workshop", "csrf_token": token}
    assert c.post("/library/import", data=sent).status_code == 200
    with engine.connect() as conn:
        cid = conn.scalars(select(lib.collections.c.id).where(lib.collections.c.name == "Workshop"))
        found = lib.get_collection(conn, cid.one())
    assert found is not None and found.visibility == "private"
    return found


def test_a_private_collection_shows_its_papers_under_their_headings_in_the_library(
    settings: Settings, engine: Engine
) -> None:
    with _site(settings, engine) as c:
        found = _pasted(c, engine)
        page = c.get(f"/library?collection={found.id}")
        shared = c.get(f"/c/{found.share_key}")
    assert page.status_code == 200
    assert _headings_and_papers(page.text) == [
        LOOSE.id,
        "Oral 1: Retrieval",
        GRAPHS.id,
        "Poster Session A (14:00-15:30)",
        SENSORS.id,
        CHAOS.id,
    ]
    assert 'id="sections"' in page.text  # the forms that arrange them
    assert shared.status_code == 404  # still private


def test_the_owner_arranges_a_private_collections_sections_from_the_library(
    settings: Settings, engine: Engine
) -> None:
    with _site(settings, engine) as c:
        found = _pasted(c, engine)
        base, here = f"/c/{found.share_key}", f"/library?collection={found.id}"
        with engine.connect() as conn:
            oral, poster = cs.sections(conn, found.id)
        moved = post_form(c, f"{base}/sections/{poster.id}/move", {"to": "1", "next": here})
        assert moved.headers["location"] == f"{here}#section-{poster.id}"
        filed = post_form(
            c, f"{base}/section", {"paper_id": LOOSE.id, "section": str(oral.id), "next": here}
        )
        assert filed.headers["location"] == f"{here}#item-{LOOSE.id}"
        page = c.get(here)
        sign_in_as(c, "mallory", new=True)
        stranger = post_form(c, f"{base}/sections", {"title": "Mine now", "next": here})
    assert _headings_and_papers(page.text) == [
        "Poster Session A (14:00-15:30)",
        SENSORS.id,
        CHAOS.id,
        "Oral 1: Retrieval",
        GRAPHS.id,
        LOOSE.id,
    ]
    assert stranger.status_code == 404
