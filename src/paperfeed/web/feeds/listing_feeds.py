"""The public listings' feeds: daily, trending, a category's, an author's, a search's."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from paperfeed import categories
from paperfeed.models import clean_text
from paperfeed.search.query import filter_notes, paper_id_in, parse_query
from paperfeed.store.listings import latest_day
from paperfeed.web import views
from paperfeed.web.cache import Cached
from paperfeed.web.deps import Site, SiteDep, cache_key, search_cache_key
from paperfeed.web.feeds.responses import feed_response, reader_token
from paperfeed.web.feeds.writing import MEDIA, render_listing
from paperfeed.web.periods import (
    CATEGORY,
    DAY_RUN,
    DailyCategory,
    PeriodDay,
    PeriodMonth,
    PeriodWeek,
    check_period_params,
    month_period,
    period_from_query,
    week_period,
)
from paperfeed.web.search_params import (
    ListedSince,
    ListedUntil,
    SearchAuthor,
    SearchCategory,
    SearchMode,
    SearchWords,
)
from paperfeed.web.venue_params import SearchVenue, VenueSort, venue_filter, venue_named

router = APIRouter()
FEED_SIZE = 100
DAY_FEED_SIZE = 1000  # a whole arXiv listing day fits; bigger periods continue on ?page=2
FeedPage = Annotated[
    int,
    Query(ge=1, le=views.MAX_PAGE, description="1-based page; each feed says if there is a next"),
]
_CATEGORY_RE = re.compile(r"^[A-Za-z][A-Za-z\-]*(\.[A-Za-z\-]+)?$")


def _serve(
    request: Request,
    site: Site,
    fmt: str,
    build: Callable[[], views.Listing],
    key_of: Callable[[Request, Site], tuple[str, ...]] = cache_key,
) -> Response:
    if fmt not in MEDIA:
        raise HTTPException(404, f"unknown feed format {fmt!r}; use atom, rss or bib")
    # Not the pages' key: the site middleware would answer those itself, without validators.
    key = ("feed", *key_of(request, site))
    hit = site.cache.get(key)
    if hit is None:
        token = reader_token(request, site)  # in the key too: the cache key holds the query
        hit = Cached(
            render_listing(build(), fmt, site.settings.public_url, token=token), MEDIA[fmt]
        )
        site.cache.put(key, hit)
    return feed_response(request, hit.body, hit.media_type)


@router.get("/feeds/daily.{fmt}", summary="Daily papers feed (latest day, or date/week/month/days)")
def daily_feed(
    request: Request,
    site: SiteDep,
    fmt: str,
    day: PeriodDay = None,
    week: PeriodWeek = None,
    month: PeriodMonth = None,
    latest: Annotated[
        Literal["week", "month"] | None,
        Query(description="the week or month holding the newest day, moving on with it"),
    ] = None,
    page: FeedPage = 1,
    category: DailyCategory = None,
    days: Annotated[
        str | None, DAY_RUN.query("a run of days, first..last: YYYY-MM-DD..YYYY-MM-DD")
    ] = None,
) -> Response:
    """The papers of the latest day (all of them), of the week or month holding it
    (`latest`), or of the given day, week, month or run of days (`category`: only those in
    these categories, as the day pages' filter)."""
    check_period_params(day, week, month, days)
    within = views.daily_categories(category or [])
    if latest and (day or week or month or days):
        raise HTTPException(400, "give latest alone, or a date, week, month or days")

    def build() -> views.Listing:
        with site.engine.connect() as conn:
            newest = latest_day(conn)
            period = period_from_query(day, week, month, newest, days)
            if latest and newest is not None:
                period = (week_period if latest == "week" else month_period)(newest)
            if period is None:
                return views.Listing("Daily papers", [], 0, 1, DAY_FEED_SIZE, "/", "/feeds/daily")
            listing = views.daily(conn, period, page, DAY_FEED_SIZE, None, within=within)
        if not (
            day or week or month or days
        ):  # the feed that follows the latest day says so itself
            moving = views.following_newest(listing, period.kind)
            lead = "&" if moving.feed_query else "?"
            return replace(
                moving, feed_query=moving.feed_query + views.category_query(within, lead)
            )
        return listing

    return _serve(request, site, fmt, build)


@router.get("/feeds/trending.{fmt}", summary="Trending papers feed")
def trending_feed(request: Request, site: SiteDep, fmt: str, page: FeedPage = 1) -> Response:
    """The trending papers."""

    def build() -> views.Listing:
        with site.engine.connect() as conn:
            return views.trending_listing(conn, site.weights, page, FEED_SIZE, None)

    return _serve(request, site, fmt, build)


@router.get("/feeds/category/{category}.{fmt}", summary="A category's newest papers")
def category_feed(
    request: Request, site: SiteDep, category: str, fmt: str, page: FeedPage = 1
) -> Response:
    """A category's newest papers."""
    if not _CATEGORY_RE.match(category):
        raise HTTPException(404, f"{category!r} is not a category name")
    known = categories.canonical(category) or categories.archive(category)
    if known and known != category:  # cs.cv is cs.CV, as /categories/cs.cv is
        where = f"/feeds/category/{known}.{fmt}" + (
            f"?{request.url.query}" if request.url.query else ""
        )
        return RedirectResponse(where, status_code=301)  # ?token= too: a reader has no session

    def build() -> views.Listing:
        with site.engine.connect() as conn:
            listing = views.by_category(conn, category, page, FEED_SIZE, None)
        if listing is None:
            raise HTTPException(404, f"no papers in category {category}")
        return listing

    return _serve(request, site, fmt, build)


@router.get("/feeds/venue/{slug}.{fmt}", summary="A conference's papers")
def venue_feed(
    request: Request,
    site: SiteDep,
    slug: str,
    fmt: str,
    sort: VenueSort = "newest",
    page: FeedPage = 1,
) -> Response:
    """The papers whose arXiv comment or journal reference says they appear at a conference
    (`slug`: icml-2026, acl-2026-findings, cvpr-2026-workshop), newest or most upvoted first."""
    venue = venue_named(slug)

    def build() -> views.Listing:
        with site.engine.connect() as conn:
            listing = views.by_venue(conn, venue, sort, page, FEED_SIZE, None)
        if listing is None:
            raise HTTPException(404, f"no paper here says it is at {venue.label}")
        return listing

    return _serve(request, site, fmt, build)


@router.get("/feeds/author/{slug}.{fmt}", summary="An author's newest papers")
def author_feed(
    request: Request, site: SiteDep, slug: str, fmt: str, page: FeedPage = 1
) -> Response:
    """An author's newest papers."""

    def build() -> views.Listing:
        with site.engine.connect() as conn:
            listing = views.by_author(conn, slug.replace("-", " "), page, FEED_SIZE, None)
        if listing is None:
            raise HTTPException(404, f"no papers by an author {slug!r}")
        return listing

    return _serve(request, site, fmt, build)


@router.get("/feeds/search.{fmt}", summary="A search as a feed (newest matches first)")
def search_feed(
    request: Request,
    site: SiteDep,
    fmt: str,
    q: SearchWords,
    mode: SearchMode = "hybrid",
    category: SearchCategory = None,
    author: SearchAuthor = None,
    since: ListedSince = None,
    until: ListedUntil = None,
    venue: SearchVenue = None,
    page: FeedPage = 1,
) -> Response:
    """Papers matching a query, with the search page's filters, as a feed to follow."""
    CATEGORY.check("category", category)  # the shape its schema documents, as the API's
    cat, who = clean_text(category), clean_text(author)
    cat = categories.spelled(cat)  # cs.cv is cs.CV, as on the page
    refused = filter_notes(cat, since, until, q, ("since", "until"))
    if parse_query(q).empty and paper_id_in(q) is None:  # "*" would be a feed of everything
        refused.insert(0, f"q: {q.strip()[:40]!r} has no words to search for")
    if refused:  # what the page says of such a search, as an error
        raise HTTPException(400, " ".join(refused))
    params = views.SearchParams(q, mode, cat or None, who or None, since, until, sort="date")
    params = replace(params, venue=venue_filter(venue, site.engine))
    return _serve(
        request,
        site,
        fmt,
        lambda: views.search(site.search(), site.engine, params, page, FEED_SIZE, None).listing,
        search_cache_key,
    )
