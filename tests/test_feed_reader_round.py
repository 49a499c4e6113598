"""Feeds as a feed reader's parser (feedparser) reads them: what a subscriber sees of each."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import feedparser
from sqlalchemy import Engine

from paperfeed.settings import Settings
from tests.web_support import DAYS, client


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
