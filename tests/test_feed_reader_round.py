"""Feeds as a feed reader's parser (feedparser) reads them: what a subscriber sees of each."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import feedparser
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.search import embed_papers
from paperfeed.settings import Settings
from tests.web_support import DAYS, client, on_day, post_form, sign_up, statements


class _Discovery(HTMLParser):
    """A page's feed discovery links (rel=alternate), as a reader's Subscribe button finds them."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.feeds: list[dict[str, str | None]] = []
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "link" and found.get("rel") == "alternate" and "xml" in (found.get("type") or ""):
            self.feeds.append(found)


def test_two_category_filtered_daily_feeds_are_told_apart(site: Settings, engine: Engine) -> None:
    """Subscribing from the newest day's page filtered to cs.CL, then to cs.CV, gives two feeds a
    reader lists under names that say which is which (both once read "Daily papers")."""
    week = DAYS[2].isocalendar()
    pages = ["/daily?category=cs.CL", "/daily?category=cs.CV"]
    pages += [f"/papers/week/{week[0]}-W{week[1]:02d}?category={c}" for c in ("cs.CL", "cs.CV")]
    names = []
    with client(site, engine) as c:
        for page in pages:
            wanted = page.rsplit("=", 1)[1]
            found = _Discovery(c.get(page).text).feeds
            assert len(found) == 2 and all(wanted in (f["title"] or "") for f in found), found
            href = found[0]["href"] or ""
            assert f"category={wanted}" in href
            read = feedparser.parse(c.get(href).content)
            assert not read.bozo, read.bozo_exception
            assert re.search(rf"\b{re.escape(wanted)}\b", read.feed.title), read.feed.title
            names.append(read.feed.title)
    assert len(set(names)) == len(names), names


def _private_feed_path(c: TestClient) -> str:
    """A new private For you feed URL's path (the signed-in reader's), as the page shows it once."""
    assert post_form(c, "/for-you/feed-url", {}).status_code == 303
    shown = re.search(
        r'value="([^"]+)" aria-label="Private feed URL"', c.get("/for-you/feed-url").text
    )
    assert shown, "no private feed URL shown"
    return "/feeds/for-you/" + shown[1].split("/feeds/for-you/")[1]


def test_a_private_feed_polled_again_is_not_ranked_and_rendered_again(
    site: Settings, engine: Engine
) -> None:
    """A reader polling its For you feed every 15 minutes: a poll when nothing changed reads no
    papers (it once ranked and rendered fifty each time, a 304 costing what a 200 did); a 👍
    given since is in the next poll, and a revoked URL says so."""
    embed_papers(site, engine)
    newest = sorted(on_day(engine, DAYS[2]))
    with client(site, engine) as c, client(site, engine) as reader:
        sign_up(c, "poller")
        for pid in newest[:2]:
            post_form(c, f"/papers/{pid}/rate", {"rating": "1"})
        path = _private_feed_path(c)
        first = reader.get(path)
        held = {"If-None-Match": first.headers["etag"]}
        with statements(engine) as polled:
            again = reader.get(path, headers=held)
        assert again.status_code == 304
        ranked = [s for s in polled if "max(papers.listing_date)" in s or " AS upvotes" in s]
        assert not ranked, ranked  # no window found, no card read: nothing ranked or rendered
        before = {e.id for e in feedparser.parse(first.content).entries}
        liked = sorted(i.rsplit("/papers/", 1)[1] for i in before)[0]
        post_form(c, f"/papers/{liked}/rate", {"rating": "1"})  # 👍: no longer one to offer
        after = reader.get(path, headers=held)
        assert after.status_code == 200, "the 👍 given since is not in the feed"
        read = feedparser.parse(after.content)
        assert not read.bozo and f"/papers/{liked}" not in {
            e.id.split("/", 3)[-1] for e in read.entries
        }
        post_form(c, "/for-you/feed-url", {"revoke": "1", "confirmed": "1"})
        gone = reader.get(path, headers=held)
    assert gone.status_code == 404 and "revoked" in gone.json()["detail"]
