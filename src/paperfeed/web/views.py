"""Listings the site shows (a day, trending, an author, a category, a search) as plain data.

Pages, the JSON API, feeds and BibTeX all render these same objects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import partial
from math import ceil
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from fastapi import HTTPException
from markupsafe import Markup
from sqlalchemy import Connection, Engine

from paperfeed import categories, trending
from paperfeed.models import Paper
from paperfeed.store import get_papers
from paperfeed.store.accounts import Submission, User
from paperfeed.store.card_rows import CardRow, card_rows
from paperfeed.store.enrichment import (
    Enrichment,
    enrichment_for,
    github_name,
    papers_with_repos,
    stars_gained,
)
from paperfeed.store.listings import (
    SCAN_MOST,
    Flags,
    Hide,
    Kept,
    Page,
    author_name,
    latest_day,
    latest_listing_day,
    papers_between,
    papers_by_author,
    papers_in_category,
    scan,
    trending_rows,
)
from paperfeed.store.papers import change_stamps
from paperfeed.util import utcnow
from paperfeed.web.card_cache import EnrichmentKey, PaperKey, cache_for
from paperfeed.web.periods import Period
from paperfeed.web.render import safe_snippet

if TYPE_CHECKING:
    from paperfeed.search import Hit, SearchResult, SearchService
    from paperfeed.util import Lru

MAX_PAGE = 10_000
SEARCH_FIRST_DAY, SEARCH_LAST_DAY = date(1900, 1, 1), date(2200, 12, 31)
_NO_FLAGS = Flags(hidden=False, featured=False)


@dataclass(frozen=True)
class Card:
    """One paper as a listing shows it, with its community signals."""

    paper: Paper
    upvotes: int
    upvoted: bool = False
    submission: Submission | None = None
    flags: Flags = _NO_FLAGS
    score: float | None = None
    snippet: Markup | None = None
    comments: int = 0
    enrichment: Enrichment | None = None


@dataclass(frozen=True)
class Listing:
    """A titled, paged list of cards and where its feeds live."""

    title: str
    cards: list[Card]
    total: int
    page: int
    per_page: int
    page_path: str  # the HTML page, e.g. /trending
    feed_path: str  # e.g. /feeds/daily; the format is appended as .atom, .rss or .bib ("": none)
    feed_query: str = ""
    extra: dict[str, object] = field(default_factory=dict)
    hidden: int = 0  # papers of the whole list the reader's mutes leave out (see `estimated`)
    estimated: bool = False  # `total` estimated (the reader's mutes, a long listing)
    named: frozenset[str] = frozenset()  # papers a search named: mutes never hide them
    feed_title: str = ""  # the feed's name where it is not the page's title

    @property
    def feed_name(self) -> str:
        """What the listing's feed is called (in a feed reader's list of subscriptions)."""
        return self.feed_title or self.title

    @property
    def pages(self) -> int:
        """How many pages the listing has (at least one)."""
        return max(ceil(self.total / self.per_page), 1)

    def feed(self, fmt: str) -> str:
        """The URL of this listing as a feed or BibTeX file."""
        return f"{self.feed_path}.{fmt}{self.feed_query}"


_FOLLOWING = {"date": ("", "Daily papers"), "week": ("?latest=week", "Weekly papers"),
              "month": ("?latest=month", "Monthly papers")}  # fmt: skip


def following_newest(listing: Listing, kind: str = "date") -> Listing:
    """The newest day's (or the week's or month's holding it) listing offering the feed that
    follows the newest day on: that feed's name has no date, which would go stale in a
    reader's list of subscriptions; a category filter's feed names its categories, so that
    two such feeds are told apart there."""
    query, title = _FOLLOWING[kind]
    within = listing.extra.get("within") or ()
    named = f"{title} · {', '.join(within)}" if isinstance(within, tuple) and within else title
    return replace(listing, feed_query=query, feed_title=named)


class PageOutOfRange(ValueError):
    """The requested page lies beyond the listing's end."""


def cards(conn: Connection, ids: Sequence[str], user: User | None) -> list[Card]:
    """Cards for papers in the given order (ids not in the store are skipped).

    One query reads what changes often (votes, comments, flags, submissions, the reader's own
    votes) and the keys of what does not (each paper's `changed_at`, the site revision); papers
    and enrichment come from this process's card cache when those keys still match.
    """
    fresh = card_rows(conn, ids, user.id if user else None)
    found = [i for i in dict.fromkeys(ids) if i in fresh.rows]
    papers = _papers(conn, [fresh.rows[i] for i in found])
    extra = _enrichment(conn, [fresh.rows[i] for i in found], papers, fresh.revision)
    out = []
    for i in ids:
        row = fresh.rows.get(i)
        if row is None or i not in papers:
            continue
        out.append(
            Card(
                paper=papers[i],
                upvotes=_imported_votes(papers[i]) + row.upvotes,
                upvoted=row.upvoted,
                submission=row.submission,
                flags=Flags(row.hidden, row.featured),
                comments=row.comments,
                enrichment=extra.get(i),
            )
        )
    return out


def _papers(conn: Connection, rows: list[CardRow]) -> dict[str, Paper]:
    return _kept_papers(conn, [(r.id, r.changed_at) for r in rows])


def current_papers(conn: Connection, ids: Sequence[str]) -> dict[str, Paper]:
    """Papers by id through this process's card cache (each one's `changed_at` read fresh)."""
    return _kept_papers(conn, list(change_stamps(conn, ids).items()))


def _kept_papers(conn: Connection, keys: list[PaperKey]) -> dict[str, Paper]:
    def load(keys: list[PaperKey]) -> dict[PaperKey, Paper]:
        # Kept under the changed_at read before loading: a newer paper under an older key is
        # never served, as every later view reads the newer changed_at.
        loaded = get_papers(conn, [pid for pid, _ in keys])
        return {k: loaded[k[0]] for k in keys if k[0] in loaded}

    found = cache_for(conn.engine).papers.get_or_load(keys, load)
    return {pid: paper for (pid, _), paper in found.items()}


def _enrichment(
    conn: Connection, rows: list[CardRow], papers: dict[str, Paper], revision: int
) -> dict[str, Enrichment]:
    def load(keys: list[EnrichmentKey]) -> dict[EnrichmentKey, Enrichment | None]:
        ids = [pid for pid, _, _ in keys]
        loaded = enrichment_for(conn, ids, {i: _repos_of(papers[i]) for i in ids})
        return {k: loaded.get(k[0]) for k in keys}

    keys = [(r.id, r.changed_at, revision) for r in rows if r.id in papers]
    found = cache_for(conn.engine).enrichment.get_or_load(keys, load)
    return {k[0]: e for k, e in found.items() if e is not None}


def _repos_of(paper: Paper) -> list[str]:
    names = [github_name(u) for u in paper.code_links]
    if paper.signals and paper.signals.github_repo:
        names.append(github_name(paper.signals.github_repo))
    return [n for n in dict.fromkeys(names) if n]


def stars_listing(
    conn: Connection,
    today: date,
    page: int,
    per_page: int,
    user: User | None,
    hide: Hide | None = None,
) -> Listing:
    """Papers ranked by the GitHub stars their repository gained in the last seven days."""
    gained = stars_gained(conn, today)
    ranked: list[tuple[int, str]] = []
    for pid, name in papers_with_repos(conn, set(gained)):
        ranked.append((gained[name], pid))
    ranked.sort(key=lambda t: (-t[0], t[1]))
    ids = list(dict.fromkeys(pid for _, pid in ranked))
    result = reader_page(conn, _slicer(ids), hide, page, per_page)
    check_page(page, result.total, per_page)
    shown = [c for c in cards(conn, result.ids, user) if not c.flags.hidden]
    paths = "/trending/stars", "/feeds/trending"
    return _listing("Trending by GitHub stars", shown, result, page, per_page, *paths)


def _listing(
    title: str,
    shown: list[Card],
    result: Kept,
    page: int,
    per_page: int,
    page_path: str,
    feed_path: str,
) -> Listing:
    hidden, estimated = result.hidden, not result.exact
    return Listing(
        title, shown, result.total, page, per_page, page_path, feed_path, "", {}, hidden, estimated
    )


def _slicer(ids: list[str]) -> Callable[[int, int], Page]:
    return lambda offset, limit: Page(ids[offset : offset + limit], len(ids))


def reader_page(
    conn: Connection,
    fetch: Callable[[int, int], Page],
    hide: Hide | None,
    page: int,
    per_page: int,
) -> Kept:
    """A page of a listing (`fetch(offset, limit)`) with the papers `hide` names left out
    before paging, so a reader's pages stay full. Past `SCAN_MOST` papers, the plain page
    (the caller's cards are then filtered one by one)."""
    offset = offset_of(page, per_page)
    if hide is None or offset + per_page > SCAN_MOST:
        plain = fetch(offset, per_page)
        return Kept(plain.ids, plain.total, 0)
    return scan(fetch, lambda ids: hide(conn, ids), offset, per_page)


def _imported_votes(paper: Paper) -> int:
    return paper.signals.upvotes if paper.signals else 0


def offset_of(page: int, per_page: int) -> int:
    """The row offset of a 1-based page."""
    return (page - 1) * per_page


def check_page(page: int, total: int, per_page: int) -> None:
    """PageOutOfRange when a page past the first lies beyond a list of `total`."""
    if page > 1 and offset_of(page, per_page) >= total:
        last = max(ceil(total / per_page), 1)
        raise PageOutOfRange(f"page {page} is past the end; the last page is {last}")


def daily(
    conn: Connection,
    period: Period,
    page: int,
    per_page: int,
    user: User | None,
    hide: Hide | None = None,
    newest: bool = False,
    within: Sequence[str] = (),
    since: datetime | None = None,
) -> Listing:
    """The papers of a day, week or month (in one of the categories `within`, where given;
    put on their day after `since`, where given), featured then most upvoted first (or newest
    first: the latest day first, each day's newest arXiv ids first)."""

    held = category_members(within)

    def fetch(offset: int, limit: int) -> Page:
        return papers_between(conn, period.start, period.end, offset, limit, newest, held, since)

    result = reader_page(conn, fetch, hide, page, per_page)
    check_page(page, result.total, per_page)
    return Listing(
        title=f"Daily papers · {period.heading}" + (f" · {', '.join(within)}" if within else ""),
        cards=cards(conn, result.ids, user),
        total=result.total,
        page=page,
        per_page=per_page,
        page_path=period.path,
        feed_path="/feeds/daily",
        feed_query=f"?{period.kind}={period.slug}" + category_query(within, "&"),
        extra={"period": period, "within": tuple(within)},
        hidden=result.hidden,
        estimated=not result.exact,
    )


DAILY_CATEGORIES_MOST = 20  # categories one daily listing's filter may name


def daily_categories(given: Sequence[str]) -> tuple[str, ...]:
    """The categories a daily listing's `category=` names (repeated or comma-separated, any
    case; an archive such as cs or cond-mat), as arXiv spells them, each once; a 400 saying
    what was meant for a name that is no category."""
    names = [n.strip() for value in given for n in value.split(",") if n.strip()]
    if len(names) > DAILY_CATEGORIES_MOST:
        raise HTTPException(400, f"category: give at most {DAILY_CATEGORIES_MOST} categories")
    out: list[str] = []
    for name in names:
        try:
            out.append(categories.archive(name) or categories.checked(name))
        except ValueError as exc:
            raise HTTPException(400, f"category: {exc}") from exc
    return tuple(dict.fromkeys(out))


def category_members(named: Sequence[str]) -> tuple[str, ...]:
    """The categories papers are looked up under for these names (an archive: all of its)."""
    return tuple(dict.fromkeys(m for name in named for m in categories.members(name)))


def category_query(within: Sequence[str], lead: str = "?") -> str:
    """The `category=` a daily listing's links carry for its category filter ("" for none)."""
    return f"{lead}{urlencode({'category': ','.join(within)})}" if within else ""


def trending_listing(
    conn: Connection,
    weights: trending.TrendingWeights,
    page: int,
    per_page: int,
    user: User | None,
    hide: Hide | None = None,
) -> Listing:
    """Trending papers ranked by the documented formula in `paperfeed.trending`."""
    # Anchored at the newest listing, so a store that stopped ingesting (or one submission
    # today in a store of older listings) still ranks its last week of papers.
    newest = latest_listing_day(conn) or latest_day(conn)
    ranked: list[trending.Ranked] = []
    if newest is not None:
        new_since = trending.new_accounts_since(utcnow(), weights)
        rows = trending_rows(conn, trending.window_start(newest, weights), new_since)
        ranked = trending.rank(rows, trending.reference_time(newest), weights)
    scores = {r.id: r.score for r in ranked}
    result = reader_page(conn, _slicer(list(scores)), hide, page, per_page)
    check_page(page, result.total, per_page)
    shown = [_with_score(c, scores[c.paper.id]) for c in cards(conn, result.ids, user)]
    return _listing(
        "Trending papers", shown, result, page, per_page, "/trending", "/feeds/trending"
    )


def _with_score(card: Card, score: float) -> Card:
    return replace(card, score=score)


def by_author(
    conn: Connection,
    key: str,
    page: int,
    per_page: int,
    user: User | None,
    hide: Hide | None = None,
) -> Listing | None:
    """An author's papers, newest first (None when no paper has that author)."""
    name = author_name(conn, key)
    if name is None:
        return None
    fetch = partial(papers_by_author, conn, key)
    result = reader_page(conn, fetch, hide, page, per_page)
    check_page(page, result.total, per_page)
    slug = key.replace(" ", "-")
    shown = cards(conn, result.ids, user)
    return _listing(
        name, shown, result, page, per_page, f"/authors/{slug}", f"/feeds/author/{slug}"
    )


def by_category(
    conn: Connection,
    category: str,
    page: int,
    per_page: int,
    user: User | None,
    hide: Hide | None = None,
) -> Listing | None:
    """A category's papers, or an archive's (cond-mat: all of cond-mat.*), newest first (None
    when it has none)."""
    fetch = partial(papers_in_category, conn, categories.members(category))
    result = reader_page(conn, fetch, hide, page, per_page)
    if result.total == 0 and not result.hidden:
        return None
    check_page(page, result.total, per_page)
    shown = cards(conn, result.ids, user)
    paths = f"/categories/{category}", f"/feeds/category/{category}"
    name = categories.name_of(category)
    title = f"{category} · {name}" if name else category
    return _listing(title, shown, result, page, per_page, *paths)


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

    def as_query(self) -> dict[str, str]:
        """The parameters as they appear in URLs (defaults left out)."""
        out = {"q": self.q, "mode": self.mode if self.mode != "hybrid" else ""}
        out |= {"category": self.category or "", "author": self.author or ""}
        out |= {"since": self.since.isoformat() if self.since else ""}
        out |= {"until": self.until.isoformat() if self.until else ""}
        out |= {"sort": self.sort if self.sort != "relevance" else ""}
        return {k: v for k, v in out.items() if v}

    def feed_name(self) -> str:
        """What a feed of this search is called: its words and its filters, so that two feeds
        of one query with other filters are told apart in a feed reader."""
        limits = [f"in {self.category}"] if self.category else []
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
        result = _kept_search(service, params, page, per_page, hide, kept)
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
    params: SearchParams,
    page: int,
    per_page: int,
    hide: Hide | None,
    kept: ResultCache | None,
) -> SearchResult:
    """The search's answer from `kept` when it holds it, else searched (and kept there unless
    it is an answer for now only: a fallback, or one from part of an index being built)."""
    if kept is None:
        return _run_search(service, params, page, per_page, hide)
    results, key = kept
    result = results.get(key)
    if result is None:
        result = _run_search(service, params, page, per_page, hide)
        if result.fallback is None and result.limited is None:
            results.put(key, result)
    return result


def _run_search(
    service: SearchService, params: SearchParams, page: int, per_page: int, hide: Hide | None
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
    )


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
