"""A paper's title in Atom and RSS is escaped exactly once: a feed reader's parser (feedparser)
reads back the title as the site shows it in plain text, whatever `&`, `<`, quotes or LaTeX it
holds."""

from __future__ import annotations

from datetime import date

import feedparser
import pytest

from paperfeed.latex import plain
from paperfeed.models import Paper
from paperfeed.web import views
from paperfeed.web.feeds import render_listing

TITLES = [
    "Q&A for R&D: \"quoted\" and 'apostrophes'",
    r"Bounds for $a < b$ & $\alpha$-nets",
    r"$O(n \log n)$ sorting with $p<0.05$ & $x > y$",
    "Attention <script>alert(1)</script> is all you need",
    "AT&T's <3 for x<y, x>y and a&&b",
]


def _read(fmt: str) -> list[str]:
    papers = [
        Paper(
            id=f"2606.{n:05d}",
            title=title,
            authors=("Ann Lee",),
            categories=("cs.LG",),
            listing_date=date(2026, 6, 25),
        )
        for n, title in enumerate(TITLES, 1)
    ]
    listing = views.Listing(
        "Titles", [views.Card(p, 0) for p in papers], len(papers), 1, 10, "/t", "/t"
    )
    read = feedparser.parse(render_listing(listing, fmt, "http://example.org"))
    assert not read.bozo, read.bozo_exception
    return [e.title for e in read.entries]


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_a_title_reads_back_as_written(fmt: str) -> None:
    assert _read(fmt) == [plain(t) for t in TITLES]
    assert plain(TITLES[1]) == "Bounds for a < b & α-nets"  # the math as readable text
