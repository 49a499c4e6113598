"""A search's and a paper's similar papers as cards, the answer kept where asked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from fastapi import HTTPException
from sqlalchemy import Connection, Engine

from paperfeed.store.accounts import User
from paperfeed.store.listings import Hide, venue_paper_ids
from paperfeed.venues import Venue
from paperfeed.web.render import safe_snippet
from paperfeed.web.views.assembly import cards
from paperfeed.web.views.common import Card, Listing, PageOutOfRange, offset_of

if TYPE_CHECKING:
    from paperfeed.search import Hit, SearchResult, SearchService
    from paperfeed.util import Lru

SEARCH_FIRST_DAY, SEARCH_LAST_DAY = date(1900, 1, 1), date(2200, 12, 31)


SEARCH_MODES = ("hybrid", "keyword", "semantic")
SEARCH_SORTS = ("relevance", "date")


@dataclass(frozen=True)
class SearchParams:
    """What a visitor asked the search for."""

    q: str
    mode: str = "hybrid"
    category: str | None = None
    author: str | None = None
    since: date | None = None
    until: date | None = None
    sort: str = "relevance"
    venue: Venue | None = None  # only the papers at this conference

    def as_query(self) -> dict[str, str]:
        """The parameters as they appear in URLs (defaults left out)."""
        out = {"q": self.q, "mode": self.mode if self.mode != "hybrid" else ""}
        out |= {"category": self.category or "", "author": self.author or ""}
        out |= {"venue": self.venue.slug if self.venue else ""}
        out |= {"since": self.since.isoformat() if self.since else ""}
        out |= {"until": self.until.isoformat() if self.until else ""}
        out |= {"sort": self.sort if self.sort != "relevance" else ""}
        return {k: v for k, v in out.items() if v}

    def feed_name(self) -> str:
        """What a feed of this search is called: its words and its filters, so that two feeds
        of one query with other filters are told apart in a feed reader."""
        limits = [f"at {self.venue.label}"] if self.venue else []
        limits += [f"in {self.category}"] if self.category else []
        limits += [f"by {self.author}"] if self.author else []
        limits += [f"since {self.since.isoformat()}"] if self.since else []
        limits += [f"until {self.until.isoformat()}"] if self.until else []
        return f"Search: {self.q}" + (f" ({', '.join(limits)})" if limits else "")


@dataclass(frozen=True)
class SearchOutcome:
    """A search's listing, the mode that answered and why it fell back, if it did."""

    listing: Listing
    mode: str
    fallback: str | None
    counted: bool = True  # False: best matches by similarity, the total is no count of matches
    suggestion: str | None = None  # the query with likely typos corrected
    limited: str | None = None  # answered while the index is built from scratch: from what


def hit_cards(conn: Connection, found: Sequence[Hit], user: User | None) -> list[Card]:
    """Cards of a search's hits in their order, with their scores and snippets (hidden papers
    left out)."""
    hits = {h.id: h for h in found}
    return [
        replace(c, score=hits[c.paper.id].score, snippet=safe_snippet(hits[c.paper.id].snippet))
        for c in cards(conn, list(hits), user)
        if not c.flags.hidden
    ]


def search(
    service: SearchService,
    engine: Engine,
    params: SearchParams,
    page: int,
    per_page: int,
    user: User | None,
    hide: Hide | None = None,
    kept: ResultCache | None = None,
) -> SearchOutcome:
    """Run a search and turn its hits into cards with highlighted snippets (`hide`: papers
    the reader's mutes leave out, before paging; `kept`: where the search's answer is kept,
    and under what key)."""
    from paperfeed.search import BadSearch  # loads on first use

    try:
        result = _kept_search(service, engine, params, page, per_page, hide, kept)
    except BadSearch as exc:
        raise HTTPException(400, str(exc)) from exc
    if page > 1 and not result.hits:
        raise PageOutOfRange(f"page {page} is past the end of the results")
    with engine.connect() as conn:  # only once the search is done: it reads the store too
        shown = hit_cards(conn, result.hits, user)
    query = urlencode(params.as_query())
    listing = Listing(
        f"Search: {params.q}",
        shown,
        result.total,
        page,
        per_page,
        f"/search?{query}",
        "/feeds/search",
        f"?{query}",
        hidden=result.hidden,
        estimated=result.estimated,
        named=result.named,
        feed_title=params.feed_name(),
    )
    return SearchOutcome(
        listing, result.mode, result.fallback, result.counted, result.suggestion, result.limited
    )


ResultCache = tuple["Lru[tuple[object, ...], SearchResult]", tuple[object, ...]]


def _kept_search(
    service: SearchService,
    engine: Engine,
    params: SearchParams,
    page: int,
    per_page: int,
    hide: Hide | None,
    kept: ResultCache | None,
) -> SearchResult:
    """The search's answer from `kept` when it holds it, else searched (and kept there unless
    it is an answer for now only: a fallback, or one from part of an index being built)."""
    if kept is None:
        return _run_search(service, engine, params, page, per_page, hide)
    results, key = kept
    result = results.get(key)
    if result is None:
        result = _run_search(service, engine, params, page, per_page, hide)
        if result.fallback is None and result.limited is None:
            results.put(key, result)
    return result


def _run_search(
    service: SearchService,
    engine: Engine,
    params: SearchParams,
    page: int,
    per_page: int,
    hide: Hide | None,
) -> SearchResult:
    return service.search(
        params.q,
        mode=params.mode,
        limit=per_page,
        offset=offset_of(page, per_page),
        since=_in_range(params.since),
        until=_in_range(params.until),
        category=params.category,
        author=params.author,
        sort=params.sort,
        hide=hide,
        among=among(engine, params),
    )


def among(engine: Engine, params: SearchParams) -> frozenset[str] | None:
    """The papers a search looks among: its conference's (None: every paper)."""
    if params.venue is None:
        return None
    with engine.connect() as conn:
        return venue_paper_ids(conn, params.venue.label)


def _in_range(day: date | None) -> date | None:
    # "since 0001-01-01" means since ever: the indexes only hold dates of the last centuries.
    return min(max(day, SEARCH_FIRST_DAY), SEARCH_LAST_DAY) if day else None


def similar(
    service: SearchService, engine: Engine, paper_id: str, limit: int, user: User | None
) -> list[Card]:
    """Papers similar to one paper (hidden ones left out)."""
    hits = service.similar(paper_id, limit=limit)
    with engine.connect() as conn:
        return [c for c in cards(conn, [h.id for h in hits], user) if not c.flags.hidden]
