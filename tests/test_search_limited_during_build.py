"""The keyword index built from scratch (its folder deleted, a new node, an index too old to read):
searches answer meanwhile from the papers indexed so far and a word match in the store, and say
so, instead of 503 for the whole build."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from paperfeed.digest.compose import saved_search_hits
from paperfeed.models import Paper
from paperfeed.search import SearchService
from paperfeed.search.keyword import KeywordIndex
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.util import utcnow
from tests.web_support import client, web_settings

TODAY = utcnow().date()
BRIDGE = Paper(
    id="2606.99901",
    title="Schrödinger bridges between point clouds",
    abstract="We match two point clouds with an entropic Schrödinger bridge (100% of them).",
    authors=("Thomas Müller",),
    categories=("cs.LG",),
    listing_date=TODAY,
    source="test",
)
OLDER = Paper(
    id="2606.99902",
    title="Point clouds from a single photograph",
    abstract="A survey of lifting images to point clouds.",
    authors=("Ana Lima",),
    categories=("cs.CV",),
    listing_date=TODAY - timedelta(days=40),
    source="test",
)


@contextmanager
def _index_deleted_and_held(settings: Settings, engine: Engine) -> Iterator[Path]:
    """The store's index built, then its folder deleted; another worker holds the new build
    (its writer), so that it stays at 0 % for as long as the block runs."""
    with engine.begin() as conn:
        upsert_papers(conn, [BRIDGE, OLDER])
    service = SearchService(settings, engine)
    service.refresh()
    service.close()
    folder = settings.index_dir / "keyword"
    shutil.rmtree(folder)
    writer = KeywordIndex(folder).index.writer(15_000_000, 1)
    try:
        yield folder
    finally:
        writer.rollback()
        writer.wait_merging_threads()
        del writer


def test_the_page_the_api_and_feeds_answer_from_the_store_while_the_index_is_built(
    site: Settings, engine: Engine
) -> None:
    settings = web_settings(site, search_wait_for_build=0)
    with _index_deleted_and_held(settings, engine), client(settings, engine) as c:
        page = c.get("/search", params={"q": "point clouds bridge"})
        assert page.status_code == 200, page.text
        assert "Search is being rebuilt (0% done): results come from the 0 papers" in page.text
        assert "may miss papers" in page.text and "/papers/2606.99901" in page.text
        assert "/papers/2606.99902" not in page.text  # it lacks "bridge"
        api = c.get("/api/papers/search", params={"q": "POINT clouds", "mode": "semantic"})
        assert api.status_code == 200 and api.headers["X-Search-Mode"] == "keyword"
        assert api.headers["X-Search-Degraded"].startswith("Search is being rebuilt (0% done)")
        assert {p["paper"]["id"] for p in api.json()} == {BRIDGE.id, OLDER.id}
        # Exclusions, filters and LIKE's own wildcards are kept to.
        for params, want in [
            ({"q": "point clouds -survey"}, [BRIDGE.id]),
            ({"q": "point clouds", "category": "cs.CV"}, [OLDER.id]),
            ({"q": "clouds", "since": str(TODAY - timedelta(days=1))}, [BRIDGE.id]),
            ({"q": "clouds", "author": "lima"}, [OLDER.id]),
            ({"q": "100%"}, [BRIDGE.id]),
            ({"q": "2606.99902"}, [OLDER.id]),
        ]:
            got = c.get("/api/papers/search", params=params)
            assert got.status_code == 200, (params, got.text)
            assert [p["paper"]["id"] for p in got.json()] == want, params
        feed = c.get("/feeds/search.atom", params={"q": "entropic bridge"})
        assert feed.status_code == 200 and BRIDGE.id in feed.text
        ids = SearchService(settings, engine).search_ids("point clouds", limit=5)
        assert set(ids) == {BRIDGE.id, OLDER.id}
    # The build ends: answers are whole again and say nothing of it. (The held writer's lock
    # goes when tantivy has let it go: on a busy machine a refresh can still find it held, take
    # it for another worker writing the index, and leave the writing to it; a later refresh,
    # finding the lock free, writes the papers itself.)
    with client(settings, engine) as c:
        deadline = time.monotonic() + 30
        while True:
            c.app.state.site.search().refresh()  # type: ignore[attr-defined]
            api = c.get("/api/papers/search", params={"q": "Schroedinger bridge"})
            whole = "X-Search-Degraded" not in api.headers and api.json()
            if whole or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert api.status_code == 200 and "X-Search-Degraded" not in api.headers
        assert [p["paper"]["id"] for p in api.json()] == [BRIDGE.id]
        assert "being rebuilt" not in c.get("/search", params={"q": "clouds"}).text


def test_a_digest_composed_during_the_build_matches_its_days_saved_searches(
    site: Settings, engine: Engine
) -> None:
    settings = web_settings(site, search_wait_for_build=0)
    with _index_deleted_and_held(settings, engine):
        service = SearchService(settings, engine)
        try:
            span = (TODAY - timedelta(days=1), TODAY)
            found = saved_search_hits(service, {"point clouds": 10}, span)
            assert found == {"point clouds": [BRIDGE.id]}
            assert (service.rebuilding() or "").startswith("Search is being rebuilt (0% done)")
        finally:
            service.close()


def test_newest_first_with_marked_snippets_during_the_build(site: Settings, engine: Engine) -> None:
    settings = web_settings(site, search_wait_for_build=0)
    with _index_deleted_and_held(settings, engine):
        service = SearchService(settings, engine)
        try:
            result = service.search("point clouds", mode="hybrid", sort="date")
        finally:
            service.close()
    assert [h.id for h in result.hits] == [BRIDGE.id, OLDER.id]  # newest first
    assert not result.counted and result.limited is not None
    assert "<mark>" in result.hits[0].snippet


def test_a_long_query_during_the_build_still_needs_every_word(
    site: Settings, engine: Engine
) -> None:
    """The store compares only the longest words of a long query (each word is another pass
    over the scanned text); the others are still required, and exclusions past those kept."""
    settings = web_settings(site, search_wait_for_build=0)
    words = "point clouds entropic bridge match two with them schrödinger"
    with _index_deleted_and_held(settings, engine), client(settings, engine) as c:
        api = c.get("/api/papers/search", params={"q": words})
        assert api.status_code == 200 and "X-Search-Degraded" in api.headers
        assert [p["paper"]["id"] for p in api.json()] == [BRIDGE.id]
        # "photograph" is one of the short words left to the check after the store's.
        many = c.get("/api/papers/search", params={"q": "a b c d e f g photograph point"})
        assert many.status_code == 200
        assert [p["paper"]["id"] for p in many.json()] == []
        shorter = "point clouds single survey lifting images from"
        found = c.get("/api/papers/search", params={"q": shorter})
        assert [p["paper"]["id"] for p in found.json()] == [OLDER.id]
        excluded = "point clouds -qqa -qqb -qqc -qqd -qqe -qqf -lifting"
        left = c.get("/api/papers/search", params={"q": excluded})
        assert [p["paper"]["id"] for p in left.json()] == [BRIDGE.id]


def test_a_search_among_named_papers_during_the_build_keeps_to_them(
    site: Settings, engine: Engine
) -> None:
    # a conference's search names its papers (`among`): the store's matches keep to them too
    settings = web_settings(site, search_wait_for_build=0)
    with _index_deleted_and_held(settings, engine):
        service = SearchService(settings, engine)
        try:
            both = service.search("point clouds", mode="keyword")
            one = service.search("point clouds", mode="keyword", among=frozenset({OLDER.id}))
            none = service.search("point clouds", mode="keyword", among=frozenset())
        finally:
            service.close()
    assert both.limited is not None and {h.id for h in both.hits} == {BRIDGE.id, OLDER.id}
    assert [h.id for h in one.hits] == [OLDER.id]
    assert none.hits == []
