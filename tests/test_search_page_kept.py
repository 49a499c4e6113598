"""A signed-in reader's search page reuses the search's answer (kept per data version, index
generation and the reader's mutes), and shows a new mute, an unmute or another reader's
view exactly as a fresh search would (both databases, real papers)."""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlencode

from sqlalchemy import Engine

from paperfeed.search import embed_papers
from paperfeed.settings import Settings
from tests.web_support import client, post_form, sign_up, statements, stored

QUERY = "/search?" + urlencode({"q": "learning", "mode": "keyword"})
# The hide lookup of a muting reader's search: each candidate's changed_at, before paging.
_STAMPS = re.compile(r"^SELECT papers\.id, papers\.changed_at FROM papers WHERE papers\.id")


def _cards(html: str) -> list[str]:
    return re.findall(r'<article class="card[^"]*" data-id="([^"]+)"', html)


def _commonest(engine: Engine, ids: list[str]) -> str:
    """The category most of these papers (not all) are in."""
    papers = stored(engine)
    counts = Counter(c for pid in ids for c in set(papers[pid].categories))
    return str(next(cat for cat, n in counts.most_common() if n < len(ids)))


def test_a_mute_and_an_unmute_change_the_next_search_page(site: Settings, engine: Engine) -> None:
    embed_papers(site, engine)
    papers = stored(engine)
    with client(site, engine) as c:
        sign_up(c, "reader")
        before = _cards(c.get(QUERY).text)
        assert len(before) == site.page_size
        assert _cards(c.get(QUERY).text) == before  # asked again: the same page
        category = _commonest(engine, before)
        post_form(c, "/me/mute", {"kind": "category", "value": category})
        muted = _cards(c.get(QUERY).text)
        assert muted and muted != before
        assert not [pid for pid in muted if category in papers[pid].categories]
        post_form(c, "/me/mute", {"kind": "category", "value": category, "undo": "1"})
        assert _cards(c.get(QUERY).text) == before
        # Another reader, with no mutes, sees every paper after the muting reader's view.
        post_form(c, "/me/mute", {"kind": "category", "value": category})
        assert _cards(c.get(QUERY).text) == muted
        c.cookies.clear()
        sign_up(c, "other")
        assert _cards(c.get(QUERY).text) == before


def test_a_muting_readers_search_again_is_not_searched_again(
    site: Settings, engine: Engine
) -> None:
    embed_papers(site, engine)
    with client(site, engine) as c:
        sign_up(c, "reader")
        category = _commonest(engine, _cards(c.get(QUERY).text))
        post_form(c, "/me/mute", {"kind": "category", "value": category})
        with statements(engine) as first:
            shown = _cards(c.get(QUERY).text)
        with statements(engine) as again:
            assert _cards(c.get(QUERY).text) == shown
    assert [s for s in first if _STAMPS.match(s)]  # the mutes were applied, before paging
    assert not [s for s in again if _STAMPS.match(s)]  # the kept answer: no search again
