"""Search: hybrid, keyword or semantic, paged or walked by cursor."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from paperfeed import categories
from paperfeed.search.query import filter_notes, paper_id_in, parse_query
from paperfeed.search.service import MAX_OFFSET
from paperfeed.store.listings import Hide
from paperfeed.web import api_links, paging, views, walk
from paperfeed.web.api.common import (
    HIDDEN,
    JSON,
    Limit,
    ShowMuted,
    _answer,
    _conditional,
    _Page,
    _paged,
    _reader_hide,
    _tagged,
    _walkable,
    _walked,
    dumps,
    item_json,
)
from paperfeed.web.api.schemas import ItemOut
from paperfeed.web.cache import Cached
from paperfeed.web.deps import Site, SiteDep, UserDep, search_cache_key
from paperfeed.web.periods import CATEGORY
from paperfeed.web.search_params import (
    ListedSince,
    ListedUntil,
    SearchAuthor,
    SearchCategory,
    SearchMode,
    SearchWords,
)
from paperfeed.web.venue_params import SearchVenue, venue_filter
from paperfeed.web.views import MAX_PAGE

router = APIRouter()


SearchPage = Annotated[
    int,
    Query(
        ge=0,
        le=MAX_PAGE - 1,
        description=f"0-based page index; a search pages through its first {MAX_OFFSET:,} "
        "results (p × limit past that is a 400)",
    ),
]


# A search answered while its keyword index is built from scratch says so, and from what.
DEGRADED = "X-Search-Degraded"
PASSING = ("X-Search-Fallback", DEGRADED)  # answers that are not cached


@router.get(
    "/papers/search",
    response_model=list[ItemOut],
    summary="Search papers",
    openapi_extra=_walkable(
        _conditional(paging.documented(api_links.listing_links(), total=False))
    ),
)
def search(
    request: Request,
    site: SiteDep,
    user: UserDep,
    q: SearchWords,
    mode: SearchMode = "hybrid",
    category: SearchCategory = None,
    author: SearchAuthor = None,
    since: ListedSince = None,
    until: ListedUntil = None,
    sort: Annotated[str, Query(pattern="^(relevance|date)$")] = "relevance",
    venue: SearchVenue = None,
    p: SearchPage = 0,
    limit: Limit = 20,
    show_muted: ShowMuted = False,
    cursor: walk.CursorParam = None,
) -> Response:
    """Hybrid (default), keyword or semantic search; X-Search-Mode says which answered. With a
    bearer token, the user's mutes leave papers out (see show_muted). With mode=keyword and
    sort=date, each page's X-Next-Cursor (and Link rel="next") walks the results without gaps
    or repeats."""
    CATEGORY.check("category", category)
    category = categories.spelled(category or "")  # cs.cl is cs.CL
    refused = filter_notes(category or "", since, until, q, ("since", "until"))
    if parse_query(q).empty and paper_id_in(q) is None:
        refused.insert(0, f"q: {q.strip()[:40]!r} has no words to search for")
    if refused:  # what the page says of such a search, as an error
        raise HTTPException(400, " ".join(refused))
    walk.check_search(cursor, p, sort, mode)
    params = views.SearchParams(q, mode, category or None, author or None, since, until, sort)
    params = replace(params, venue=venue_filter(venue, site.engine))
    hide = _reader_hide(request, site, user, show_muted)
    if (sort, mode, p) == ("date", "keyword", 0):
        walked = _date_walk(request, site, params, cursor, limit, hide)
        if walked is not None:
            return walked
    if hide is not None:  # personal: not cached
        mine = _search_body(request, site, params, p, limit, hide)
        return Response(mine.body, media_type=JSON, headers=dict(mine.headers))
    key = search_cache_key(request, site)
    hit = site.cache.get(key)
    if hit is None:
        hit = _search_body(request, site, params, p, limit)
        if all(name not in PASSING for name, _v in hit.headers):
            # A fallback may be passing (model busy, index being built): only whole answers
            # are kept.
            hit = _tagged(hit.body, hit.headers)
            site.cache.put(key, hit)
    return _answer(request, hit)


def _date_walk(
    request: Request,
    site: Site,
    params: views.SearchParams,
    cursor: str | None,
    limit: int,
    hide: Hide | None,
) -> Response | None:
    """A keyword search by date, walked by cursor (None: this one pages by p: it names one
    paper, or the index is being built from scratch)."""
    service = site.search()
    place = walk.read(site.settings, request, cursor) if cursor else walk.Place(None)
    if paper_id_in(params.q) is not None or service.rebuilding() is not None:
        if cursor:  # (a query naming a paper was never given a cursor)
            raise HTTPException(503, _NO_WALK, headers={"Retry-After": "60"})
        return None

    def step() -> _Page:
        found = walk.search_step(service, site.engine, params, place, limit, hide)
        if found is None:  # a build from scratch began meanwhile
            raise HTTPException(503, _NO_WALK, headers={"Retry-After": "60"})
        with site.engine.connect() as conn:
            shown = views.hit_cards(conn, service.snippets(found.ids, params.q), None)
        following = walk.headers(site.settings, request, place, found.following)
        headers = (("X-Search-Mode", "keyword"), *following)
        return [item_json(c) for c in shown], headers, found.hidden

    return _walked(request, site, hide, step, search_cache_key(request, site))


_NO_WALK = (
    "cursor: this search cannot go on from a cursor now (the keyword index is being built "
    "from scratch); try the same cursor again later"
)


def _search_body(
    request: Request,
    site: Site,
    params: views.SearchParams,
    p: int,
    limit: int,
    hide: Hide | None = None,
) -> Cached:
    muted = () if hide is None else ((HIDDEN, "0"),)
    try:
        outcome = views.search(site.search(), site.engine, params, p + 1, limit, None, hide)
    except views.PageOutOfRange:
        return Cached("[]", JSON, (("X-Search-Mode", params.mode), *muted))
    headers = [("X-Search-Mode", outcome.mode)]
    headers += _paged(request, site, p, outcome.listing, MAX_OFFSET)  # a search's depth
    if hide is not None:
        headers.append((HIDDEN, str(outcome.listing.hidden)))
    if outcome.limited:  # the index is being built from scratch: a part of the papers answered
        headers.append((DEGRADED, outcome.limited.encode("ascii", "replace").decode()))
    if outcome.fallback:
        # Header values must be latin-1; the fallback reason is plain English.
        headers.append(("X-Search-Fallback", outcome.fallback.encode("ascii", "replace").decode()))
    if outcome.suggestion:  # "did you mean"; a header value is printable ASCII
        suggestion = "".join(c if " " <= c <= "~" else "?" for c in outcome.suggestion)
        headers.append(("X-Search-Suggestion", suggestion))
    return Cached(dumps([item_json(c) for c in outcome.listing.cards]), JSON, tuple(headers))
