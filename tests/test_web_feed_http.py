"""Feeds over HTTP as feed readers poll them: validators, 304, caching advice, gzip."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store import open_store, upsert_papers
from paperfeed.web.feeds import FEED_MAX_AGE, feed_response
from tests.web_support import DAYS, HOSTILE, client, fill_store, web_settings

FEEDS = [
    "/feeds/daily.atom",
    f"/feeds/daily.rss?date={DAYS[0]}",
    "/feeds/trending.atom",
    "/feeds/category/cs.CR.rss",
    "/feeds/author/mallory-o-hara.atom",
    "/feeds/search.atom?q=attention&mode=keyword",
    f"/feeds/daily.bib?date={DAYS[1]}",
]


@pytest.fixture
def store(sqlite_settings: Settings, tmp_path: Path) -> Iterator[tuple[Settings, Engine]]:
    """A SQLite store of three listing days whose data version is read once a minute, as a
    served site's is (so the site's own page cache answers what it can)."""
    settings = web_settings(sqlite_settings, page_cache_check_seconds=60.0)
    engine = open_store(settings)
    fill_store(engine, settings, tmp_path / "listings")
    yield settings, engine
    engine.dispose()


def test_a_reader_that_has_the_feed_gets_304(store: tuple[Settings, Engine]) -> None:
    with client(*store) as c:
        for path in FEEDS:
            first = c.get(path)
            tag, modified = first.headers["etag"], first.headers["last-modified"]
            assert first.status_code == 200 and tag.startswith('"'), path
            for _ in range(2):  # the second is answered from the cache
                again = c.get(path, headers={"If-None-Match": tag})
                assert again.status_code == 304 and again.content == b"", path
                assert again.headers["etag"] == tag, path
            assert c.get(path, headers={"If-None-Match": "*"}).status_code == 304, path
            assert c.get(path, headers={"If-Modified-Since": modified}).status_code == 304, path
            before = format_datetime(
                parsedate_to_datetime(modified) - timedelta(seconds=1), usegmt=True
            )
            assert c.get(path, headers={"If-Modified-Since": before}).status_code == 200, path
            other = {"If-None-Match": '"elsewhere"', "If-Modified-Since": modified}
            assert c.get(path, headers=other).status_code == 200, path  # the tag decides


def test_a_changed_feed_is_sent_again(store: tuple[Settings, Engine]) -> None:
    settings, engine = store
    newer = Paper(
        id="2606.99990",
        title="A late addition",
        abstract="Listed after the reader last looked.",
        authors=("Ada Lovelace",),
        categories=("cs.CR",),
        listing_date=max(DAYS),
        source="test",
    )
    with client(settings, engine) as c:
        tag = c.get("/feeds/daily.atom").headers["etag"]
        with engine.begin() as conn:
            upsert_papers(conn, [newer])
        c.app.state.site.data_changed()  # type: ignore[attr-defined]  # as the site's writes do
        changed = c.get("/feeds/daily.atom", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag
    assert newer.id in changed.text


def test_feeds_are_gzipped_only_for_readers_that_take_gzip(
    store: tuple[Settings, Engine],
) -> None:
    with client(*store) as c:
        zipped = c.get("/feeds/daily.atom", headers={"Accept-Encoding": "gzip"})
        plain = c.get("/feeds/daily.atom", headers={"Accept-Encoding": "identity"})
        refused = c.get("/feeds/daily.atom", headers={"Accept-Encoding": "gzip;q=0, *"})
        home = c.get("/", headers={"Accept-Encoding": "gzip"})
        held = c.get(
            "/feeds/daily.atom",
            headers={"Accept-Encoding": "identity", "If-None-Match": zipped.headers["etag"]},
        )
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < len(zipped.content) == len(plain.content)
    assert zipped.content == plain.content  # the client unzipped it
    assert "content-encoding" not in plain.headers and "content-encoding" not in refused.headers
    assert zipped.headers["etag"] != plain.headers["etag"]  # a strong tag names one coding
    assert zipped.headers["vary"] == plain.headers["vary"] == "Accept-Encoding"
    assert held.status_code == 304  # the same feed, whatever coding the reader had it in
    assert home.headers["content-encoding"] == "gzip"  # pages too, by the site's compression


def test_public_feeds_may_be_kept_a_while_and_private_ones_by_their_reader_alone(
    store: tuple[Settings, Engine],
) -> None:
    with client(*store) as c:
        public = c.get("/feeds/trending.rss").headers["cache-control"]
    assert public == f"public, max-age={FEED_MAX_AGE}"
    scope = {"type": "http", "method": "GET", "headers": [(b"accept-encoding", b"gzip")]}
    from starlette.requests import Request

    private = feed_response(Request(scope), HOSTILE.title, "text/plain", private=True)
    assert private.headers["cache-control"] == f"private, max-age={FEED_MAX_AGE}"
    assert gzip.decompress(private.body).decode() == HOSTILE.title
