"""A library exported as BibTeX, RIS or CSL-JSON and imported again (here, or after a round trip
through Zotero, which keeps tags) keeps the reader's 👍 / 👎 and reading states, on SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from paperfeed.settings import Settings
from tests.web_support import DAYS, bearer, client, on_day


@pytest.mark.parametrize("fmt", ["bib", "ris", "json"])
def test_a_library_export_read_back_keeps_thumbs_and_reading_states(
    site: Settings, engine: Engine, fmt: str
) -> None:
    """A BibTeX, RIS or CSL-JSON export carried notes, collections and reading states but no
    👍 / 👎: moving a library (or a round trip through Zotero) lost every rating, and a 👎
    entry would not have been saved again. Now `paperfeed:liked` / `paperfeed:disliked` tags
    carry them, and read back they are ratings, not collections."""
    liked, disliked, plain = sorted(on_day(engine, DAYS[0]))[:3]
    with client(site, engine) as c:
        mover = bearer(c, "mover")
        for pid in (liked, disliked, plain):
            saved = c.post("/api/me/library", json={"paper_id": pid}, headers=mover)
            assert saved.status_code == 201, saved.text
        assert c.patch(f"/api/me/library/{liked}", json={"state": "read"}, headers=mover).is_success
        for pid, rating in ((liked, 1), (disliked, -1)):
            rated = c.put(f"/api/me/ratings/{pid}", json={"rating": rating}, headers=mover)
            assert rated.is_success, rated.text
        export = c.get(f"/library/export.{fmt}", headers=mover)
        assert export.status_code == 200 and "paperfeed:liked" in export.text
        arrived = bearer(c, "arrived")
        sent = {"file": (f"library.{fmt}", export.content)}
        report = c.post(
            "/api/me/library/import",
            files=sent,
            data={"tags_as_collections": "true"},
            headers=arrived,
        )
        assert report.status_code == 200, report.text
        assert report.json()["ratings"] == {"up": 1, "down": 1, "kept": 0}
        ratings = c.get("/api/me/ratings", headers=arrived).json()
        shelf = c.get("/api/me/library", headers=arrived).json()
        named = [x["name"] for x in c.get("/api/me/collections", headers=arrived).json()]
    assert {r["paper"]["id"]: r["rating"] for r in ratings} == {liked: 1, disliked: -1}
    states = {i["paper"]["id"]: i["state"] for i in shelf}
    assert states == {liked: "read", disliked: "to_read", plain: "to_read"}
    assert not [n for n in named if "liked" in n.lower()], named
