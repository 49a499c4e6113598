"""The JSON API under /api, shaped like Hugging Face's daily-papers API where that fits."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from paperfeed import categories
from paperfeed.keyphrases import keyphrases
from paperfeed.models import Paper
from paperfeed.search.query import filter_notes, paper_id_in, parse_query
from paperfeed.search.service import MAX_OFFSET
from paperfeed.store import library as lib
from paperfeed.store.accounts import User, delete_session
from paperfeed.store.api_tokens import revoke_secret
from paperfeed.store.listings import Hide, latest_day
from paperfeed.web import api_links, community, paging, views, walk
from paperfeed.web.auth import BadCredentials, limit_submitter, limited_sign_in, start_session
from paperfeed.web.cache import Cached, not_modified
from paperfeed.web.citation import AskedVersion, asked_version, version_named
from paperfeed.web.deps import (
    ApiCsrf,
    SignedInDep,
    Site,
    SiteDep,
    UserDep,
    api_token_of,
    cache_key,
    search_cache_key,
    session_token,
)
from paperfeed.web.feeds import resolve_id
from paperfeed.web.periods import (
    CATEGORY,
    DAY,
    MONTH,
    WEEK,
    DailyCategory,
    OptionalDay,
    check_period_params,
    period_from_query,
)
from paperfeed.web.upvoters import upvoters, upvoters_json
from paperfeed.web.views import MAX_PAGE, Card

router = APIRouter(prefix="/api", tags=["api"])
JSON = "application/json"
Limit = Annotated[int, Query(ge=1, le=100, description="Items per page (at most 100)")]
PageIndex = Annotated[int, Query(ge=0, le=MAX_PAGE - 1, description="0-based page index")]
SearchPage = Annotated[
    int,
    Query(
        ge=0,
        le=MAX_PAGE - 1,
        description=f"0-based page index; a search pages through its first {MAX_OFFSET:,} "
        "results (p × limit past that is a 400)",
    ),
]
ShowMuted = Annotated[
    bool,
    Query(
        description="With a bearer token: include the papers the user's mutes leave out "
        "(left out by default; the X-Hidden-By-Mutes header counts them)"
    ),
]
HIDDEN = "X-Hidden-By-Mutes"
# A search answered while its keyword index is built from scratch says so, and from what.
DEGRADED = "X-Search-Degraded"
PASSING = ("X-Search-Fallback", DEGRADED)  # answers that are not cached


class AuthorOut(BaseModel):
    name: str


class UserOut(BaseModel):
    name: str
    fullname: str
    type: str = "user"


class AskedVersionOut(BaseModel):
    """The arXiv version a versioned id named (2401.00001v1), beside the latest stored."""

    number: int
    exists: bool | None = Field(description="false: arXiv has no such version; null: not known")
    submittedAt: str | None = Field(description="when arXiv received that version, where known")
    latest: int | None = Field(description="the latest version this site holds; null: not known")
    arxivUrl: str | None = Field(description="arXiv's page of that version, where it has one")


class PaperOut(BaseModel):
    """A paper, with Hugging Face's field names where they exist."""

    id: str
    title: str
    summary: str
    authors: list[AuthorOut]
    publishedAt: str | None
    upvotes: int
    categories: list[str]
    listingDate: str | None
    version: int | None
    comments: str | None
    journalRef: str | None
    doi: str | None
    arxivUrl: str | None
    pdfUrl: str | None
    codeLinks: list[str]
    githubRepo: str | None
    githubStars: int | None
    numComments: int = 0
    numModels: int = 0
    numDatasets: int = 0
    numSpaces: int = 0
    withdrawn: bool
    submittedOnDailyBy: UserOut | None
    upvotedBy: list[UserOut] | None = Field(
        None,
        description="GET /api/papers/{id} only: the newest upvoters who chose to show their "
        "upvotes (at most 3); the rest of `upvotes` are counted, never named",
    )
    keywords: list[str] | None = Field(
        None,
        description="GET /api/papers/{id} only: up to 6 keyphrases extracted automatically "
        "from the title and abstract (YAKE, no language model), best first, as plain text",
    )
    askedVersion: AskedVersionOut | None = Field(
        None,
        description="GET /api/papers/{id}vN only: the version the id named; the rest of the "
        "answer is the latest version",
    )


class ItemOut(BaseModel):
    """One entry of a list, as in Hugging Face's /api/daily_papers."""

    paper: PaperOut
    title: str
    summary: str
    publishedAt: str | None
    numComments: int = 0
    submittedBy: UserOut | None
    thumbnail: str | None = None
    trendingScore: float | None = None
    score: float | None = None
    highlight: str | None = Field(None, description="search snippet, HTML with <mark>")


class VoteOut(BaseModel):
    id: str
    upvotes: int
    upvoted: bool


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is said, not ignored

    id: str = Field(
        min_length=1,
        max_length=1000,
        description="arXiv id or arxiv.org URL (`paper_id`, as the library calls it, is read too)",
        validation_alias=AliasChoices("id", "paper_id"),
    )


CHALLENGE = 'Bearer realm="paperfeed"'  # what a 401 asks for: the token login gives


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is said, not ignored

    username: str = Field(max_length=64)
    password: str = Field(max_length=1000)


class TokenOut(BaseModel):
    token: str
    username: str


def stamp(value: date | datetime | None) -> str | None:
    """A date or time as the API writes it (Hugging Face's `2026-07-01T00:00:00.000Z`)."""
    if value is None:
        return None
    when = value if isinstance(value, datetime) else datetime.combine(value, time.min)
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _submitter(card: Card) -> dict[str, str] | None:
    if card.submission:
        name = card.submission.username
    elif card.paper.signals and card.paper.signals.submitted_by:
        name = card.paper.signals.submitted_by
    else:
        return None
    return {"name": name, "fullname": name, "type": "user"}


def paper_json(card: Card) -> dict[str, Any]:
    """A paper in the API's shape."""
    p: Paper = card.paper
    sig = p.signals
    repo = card.enrichment.repo if card.enrichment else None
    return {
        "id": p.id,
        "title": p.title,
        "summary": p.abstract,
        "authors": [{"name": a} for a in p.authors],
        "publishedAt": stamp(p.published or p.listing_date),
        "upvotes": card.upvotes,
        "categories": list(p.categories),
        "listingDate": p.listing_date.isoformat() if p.listing_date else None,
        "version": p.version,
        "comments": p.comments,
        "journalRef": p.journal_ref,
        "doi": p.doi,
        "arxivUrl": p.abs_url,
        "pdfUrl": p.pdf_url,
        "codeLinks": list(
            dict.fromkeys((card.enrichment.code if card.enrichment else ()) + p.code_links)
        ),
        "githubRepo": repo.full_name if repo else (sig.github_repo if sig else None),
        "githubStars": repo.stars if repo else (sig.github_stars if sig else None),
        "numModels": card.enrichment.models if card.enrichment else 0,
        "numDatasets": card.enrichment.datasets if card.enrichment else 0,
        "numSpaces": card.enrichment.spaces if card.enrichment else 0,
        "numComments": card.comments,
        "withdrawn": p.withdrawn,
        "submittedOnDailyBy": _submitter(card),
    }


def item_json(card: Card) -> dict[str, Any]:
    """A list entry: the paper plus when and by whom it was put on a daily page."""
    day = card.paper.listing_date or (card.submission.day if card.submission else None)
    item: dict[str, Any] = {
        "paper": paper_json(card),
        "title": card.paper.title,
        "summary": card.paper.abstract,
        "publishedAt": stamp(day or card.paper.published),
        "numComments": card.comments,
        "submittedBy": _submitter(card),
        "thumbnail": None,
    }
    if card.score is not None:
        item["trendingScore" if card.snippet is None else "score"] = card.score
    if card.snippet is not None:
        item["highlight"] = str(card.snippet)
    return item


def dumps(data: object) -> str:
    """JSON text of an API answer (orjson: a 20-item search page in a sixth of json's time)."""
    return orjson.dumps(data).decode()


def _json(data: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(data), status, headers, media_type=JSON)


def _cached(request: Request, site: Site, build: Callable[[], object]) -> Response:
    """Public GET answers, cached until the data changes."""
    key = cache_key(request, site)
    hit = site.cache.get(key)
    if hit is None:
        hit = _tagged(dumps(build()))
        site.cache.put(key, hit)
    return _answer(request, hit)


def _tagged(body: str, headers: tuple[tuple[str, str], ...] = ()) -> Cached:
    """A public answer to keep, with its ETag (a client polling it gets a 304 until it changes)."""
    tag = hashlib.sha256(body.encode()).hexdigest()[:32]
    return Cached(body, JSON, (*headers, ("ETag", f'"{tag}"')))


def _conditional(extra: dict[str, Any]) -> dict[str, Any]:
    """A public GET's `openapi_extra` with its ETag and the 304 that If-None-Match gets."""
    responses = extra.setdefault("responses", {})
    etag = {
        "description": "the answer's version: send it as If-None-Match",
        "schema": {"type": "string"},
    }
    responses.setdefault("200", {}).setdefault("headers", {})["ETag"] = etag
    responses["304"] = {"description": "Not modified: the copy If-None-Match names is current"}
    return extra


def _answer(request: Request, hit: Cached) -> Response:
    """A kept answer, or 304 Not Modified when the client's If-None-Match names its ETag."""
    headers = dict(hit.headers)
    if not_modified(hit, request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers=headers)
    return Response(hit.body, media_type=JSON, headers=headers)


def _reader_hide(request: Request, site: Site, user: User | None, show: bool) -> Hide | None:
    """A signed-in caller's mutes (None for visitors and users without mutes)."""
    if user is None:
        return None
    from paperfeed.web.library import hide_for  # the For you stack loads on first use

    return hide_for(request, site, user, show)


def _listed(
    request: Request,
    site: Site,
    hide: Hide | None,
    p: int,
    listing: Callable[[], views.Listing | None],
) -> Response:
    """A list's items with its paging links: cached for everyone alike, or left without the
    caller's mutes (and not cached) with the count they left out in X-Hidden-By-Mutes."""
    if hide is None:
        key = cache_key(request, site)
        hit = site.cache.get(key)
        if hit is None:
            found = listing()
            hit = _tagged(dumps(_items(found)), _paged(request, site, p, found))
            site.cache.put(key, hit)
        return _answer(request, hit)
    found = listing()
    headers = dict(_paged(request, site, p, found))
    return _json(_items(found), headers={HIDDEN: str(found.hidden if found else 0)} | headers)


_Page = tuple[list[dict[str, Any]], tuple[tuple[str, str], ...], int]


def _walked(
    request: Request,
    site: Site,
    hide: Hide | None,
    step: Callable[[], _Page],
    key: tuple[str, ...] | None = None,
) -> Response:
    """A page of a walk by cursor: cached for everyone alike (under `key`, by default the
    store's), or (with the caller's mutes) not cached, with how many of the papers read they
    left out in X-Hidden-By-Mutes."""
    if hide is not None:
        items, headers, hidden = step()
        return _json(items, headers={HIDDEN: str(hidden)} | dict(headers))
    key = key or cache_key(request, site)
    hit = site.cache.get(key)
    if hit is None:
        items, headers, _hidden = step()
        hit = _tagged(dumps(items), headers)
        site.cache.put(key, hit)
    return _answer(request, hit)


def _paged(
    request: Request,
    site: Site,
    p: int,
    found: views.Listing | None,
    deepest: int | None = None,
) -> tuple[tuple[str, str], ...]:
    """The paging headers of page `p` of a listing: Link to the next and previous pages (no
    next past the `deepest` item a client may ask to start from)."""
    more = False
    if found is not None:
        following = (p + 1) * found.per_page  # where the next page starts
        more = following < found.total and (deepest is None or following <= deepest)
    links = paging.page_links(request, site.settings.public_url, p, more)
    return tuple(links.items())


def _items(listing: views.Listing | None) -> list[dict[str, Any]]:
    return [item_json(c) for c in listing.cards] if listing else []


def _walkable(extra: dict[str, Any]) -> dict[str, Any]:
    """A list's `openapi_extra` with the X-Next-Cursor header of its 200 answer."""
    extra["responses"]["200"]["headers"].update(walk.HEADER)
    return extra


@router.get(
    "/daily_papers",
    response_model=list[ItemOut],
    summary="Daily papers",
    openapi_extra=_walkable(
        _conditional(paging.documented(api_links.listing_links(), total=False))
    ),
)
def daily_papers(
    request: Request,
    site: SiteDep,
    user: UserDep,
    day: Annotated[str | None, DAY.query("YYYY-MM-DD", fmt="date", alias="date")] = None,
    week: Annotated[str | None, WEEK.query("ISO week, YYYY-Www")] = None,
    month: Annotated[str | None, MONTH.query("YYYY-MM")] = None,
    p: PageIndex = 0,
    limit: Limit = 50,
    sort: Annotated[
        str,
        Query(
            pattern="^(publishedAt|trending|new)$",
            description="publishedAt: featured, then most upvoted first (as the day pages); "
            "new: newest first (the latest day first, each day's newest arXiv ids first, as "
            "the day pages' ?sort=new); trending without a date, week or month: the trending "
            "papers",
        ),
    ] = "publishedAt",
    show_muted: ShowMuted = False,
    cursor: walk.CursorParam = None,
    category: DailyCategory = None,
) -> Response:
    """Papers of a day (default: the newest), week or month (`category`: only those in these
    categories, as the day pages' filter); past the end gives []. With a bearer token, the
    user's mutes leave papers out (see show_muted). With sort=new, each page's X-Next-Cursor
    (and Link rel="next") walks the period without gaps or repeats."""
    check_period_params(day, week, month)
    walk.check(cursor, p, sort, ("new",))
    within = views.daily_categories(category or [])
    if sort == "trending" and not (day or week or month):
        if within:
            raise HTTPException(400, "category: the trending papers take no category filter")
        return trending(request, site, user, p, limit, show_muted)
    hide = _reader_hide(request, site, user, show_muted)
    if sort == "new" and p == 0:
        place = walk.read(site.settings, request, cursor) if cursor else walk.Place(None)

        def step() -> _Page:
            with site.engine.connect() as conn:
                period = period_from_query(day, week, month, latest_day(conn))
                if period is None:
                    return [], (), 0
                start = place if place.period else walk.Place(None, (period.start, period.end))
                held = views.category_members(within)
                found = walk.period_step(conn, period, start, limit, hide, held)
                shown = views.cards(conn, found.ids, None)
            following = walk.headers(site.settings, request, start, found.following)
            return [item_json(c) for c in shown], following, found.hidden

        return _walked(request, site, hide, step)

    def listing() -> views.Listing | None:
        try:
            with site.engine.connect() as conn:
                period = period_from_query(day, week, month, latest_day(conn))
                if period is None:
                    return None
                newest = sort == "new"
                return views.daily(conn, period, p + 1, limit, None, hide, newest, within)
        except views.PageOutOfRange:
            return None

    return _listed(request, site, hide, p, listing)


class CollectionFeedsOut(BaseModel):
    atom: str
    rss: str
    bib: str
    ris: str
    json_: str = Field(alias="json")


class PublicCollectionOut(BaseModel):
    name: str
    description: str
    owner: str
    papers: int
    updatedAt: str | None
    url: str
    feeds: CollectionFeedsOut


@router.get(
    "/collections",
    response_model=list[PublicCollectionOut],
    summary="Public collections",
    openapi_extra=paging.documented({}),
)
def public_collections(
    request: Request, site: SiteDep, p: PageIndex = 0, limit: Limit = 50
) -> Response:
    """Readers' public collections with papers, the most recently added to first, with their
    page and their papers' feeds (X-Total-Count: how many there are)."""
    with site.engine.connect() as conn:
        total = lib.count_public_collections(conn)
        found = lib.public_collections(conn, None, limit, p * limit)
    base = site.settings.public_url.rstrip("/")

    def one(pc: lib.PublicCollection) -> dict[str, Any]:
        page = f"{base}/c/{pc.collection.share_key}"
        return {
            "name": pc.collection.name,
            "description": pc.collection.description,
            "owner": pc.owner,
            "papers": pc.papers,
            "updatedAt": stamp(pc.updated),
            "url": page,
            "feeds": {f: f"{page}/feed.{f}" for f in ("atom", "rss", "bib", "ris", "json")},
        }

    links = paging.page_links(request, site.settings.public_url, p, (p + 1) * limit < total)
    return _json([one(pc) for pc in found], headers={"X-Total-Count": str(total)} | links)


@router.get(
    "/trending",
    response_model=list[ItemOut],
    summary="Trending papers",
    openapi_extra=_conditional(paging.documented(api_links.listing_links(), total=False)),
)
def trending(
    request: Request,
    site: SiteDep,
    user: UserDep,
    p: PageIndex = 0,
    limit: Limit = 50,
    show_muted: ShowMuted = False,
) -> Response:
    """Papers ranked by the trending formula (see /about); a bearer token's mutes apply."""
    hide = _reader_hide(request, site, user, show_muted)

    def listing() -> views.Listing | None:
        try:
            with site.engine.connect() as conn:
                return views.trending_listing(conn, site.weights, p + 1, limit, None, hide)
        except views.PageOutOfRange:
            return None

    return _listed(request, site, hide, p, listing)


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
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=500,
            description=(
                'words, "a phrase", OR, -word, and fields: author:, title:, abstract:, '
                "category:, year:2025, year:2024..2025, after:2025-06-01, before:2025-09-30 "
                "(a malformed date: 400)"
            ),
        ),
    ],
    mode: Annotated[str, Query(pattern="^(hybrid|keyword|semantic)$")] = "hybrid",
    category: Annotated[
        str | None,
        CATEGORY.query(
            "an arXiv category, like cs.CL, or an archive, like cs (all of its); several "
            "comma-separated (cs.CL,cs.LG) keep papers in any of them; any case; empty: any",
            max_length=64,
        ),
    ] = None,
    author: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[OptionalDay, Query(description="listed on or after; empty: no limit")] = None,
    until: Annotated[OptionalDay, Query(description="listed on or before; empty: no limit")] = None,
    sort: Annotated[str, Query(pattern="^(relevance|date)$")] = "relevance",
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
    refused = filter_notes(category or "", since, until, q)
    if parse_query(q).empty and paper_id_in(q) is None:
        refused.insert(0, f"q: {q.strip()[:40]!r} has no words to search for")
    if refused:  # what the page says of such a search, as an error
        raise HTTPException(400, " ".join(refused))
    walk.check_search(cursor, p, sort, mode)
    params = views.SearchParams(q, mode, category or None, author or None, since, until, sort)
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


def _asked_json(asked: AskedVersion | None) -> dict[str, Any]:
    if asked is None:
        return {}
    return {
        "askedVersion": {
            "number": asked.number,
            "exists": asked.exists,
            "submittedAt": stamp(asked.created),
            "latest": asked.latest,
            "arxivUrl": asked.arxiv_url,
        }
    }


def _one(site: Site, paper_id: str) -> Card:
    pid = resolve_id(paper_id)
    with site.engine.connect() as conn:
        found = views.cards(conn, [pid], None)
    if not found or found[0].flags.hidden:
        raise HTTPException(404, f"no paper {pid} here")
    return found[0]


MAX_IDS = 100
NOT_FOUND = "X-Not-Found"
Ids = Annotated[
    list[str],
    Query(
        min_length=1,
        description=f"arXiv ids (versions and URLs are read too), comma-separated or the "
        f"parameter repeated; at most {MAX_IDS}",
    ),
]


def _asked_ids(ids: list[str]) -> list[str]:
    """The stored ids a batch names, in its order and once each (a 400 names a bad one)."""
    asked = [part.strip() for value in ids for part in value.split(",") if part.strip()]
    if not asked:
        raise HTTPException(400, "ids: name at least one paper")
    if len(asked) > MAX_IDS:
        raise HTTPException(400, f"ids: at most {MAX_IDS} papers at a time, not {len(asked)}")
    try:
        return list(dict.fromkeys(resolve_id(a) for a in asked))
    except HTTPException as exc:
        raise HTTPException(400, f"ids: {exc.detail}") from exc


@router.get(
    "/papers",
    response_model=list[PaperOut],
    summary="Many papers",
    responses={
        200: {
            "headers": {
                NOT_FOUND: {
                    "description": "the asked ids not here, "
                    "comma-separated (absent when all were found)",
                    "schema": {"type": "string"},
                }
            }
        }
    },
    openapi_extra=_conditional({}),
)
def papers(request: Request, site: SiteDep, ids: Ids) -> Response:
    """Several papers by id in one call, in the order asked (each once); ids not here are left
    out and named in X-Not-Found."""
    wanted = _asked_ids(ids)

    def build() -> tuple[str, tuple[tuple[str, str], ...]]:
        with site.engine.connect() as conn:
            found = [c for c in views.cards(conn, wanted, None) if not c.flags.hidden]
        missing = [i for i in wanted if i not in {c.paper.id for c in found}]
        headers = ((NOT_FOUND, ",".join(missing)),) if missing else ()
        return dumps([paper_json(c) for c in found]), headers

    key = cache_key(request, site)
    hit = site.cache.get(key)
    if hit is None:
        body, headers = build()
        hit = _tagged(body, headers)
        site.cache.put(key, hit)
    return _answer(request, hit)


@router.get(
    "/papers/{paper_id:path}/similar",
    response_model=list[ItemOut],
    summary="Similar",
    openapi_extra=_conditional(api_links.listing_links()),
)
def similar(
    request: Request,
    site: SiteDep,
    paper_id: str,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Response:
    """Papers nearest to this one in meaning."""
    card = _one(site, paper_id)

    def build() -> object:
        found = views.similar(site.search(), site.engine, card.paper.id, limit, None)
        return [item_json(c) for c in found]

    return _cached(request, site, build)


_UNDO_UPVOTE = api_links.link(
    "DELETE", api_links.PAPER + "/upvote", "Undo the upvote", {"paper_id": "$response.body#/id"}
)
_UPVOTE = api_links.link(
    "POST", api_links.PAPER + "/upvote", "Upvote again", {"paper_id": "$response.body#/id"}
)


@router.post(
    "/papers/{paper_id:path}/upvote",
    response_model=VoteOut,
    dependencies=[ApiCsrf],
    openapi_extra=api_links.links(200, {"UndoUpvote": _UNDO_UPVOTE}),
)
def upvote(site: SiteDep, user: SignedInDep, paper_id: str) -> Response:
    """Upvote a paper (idempotent)."""
    card = _one(site, paper_id)
    count, state = community.vote(site, user, card.paper.id, True)
    return _json({"id": card.paper.id, "upvotes": count, "upvoted": state})


@router.delete(
    "/papers/{paper_id:path}/upvote",
    response_model=VoteOut,
    dependencies=[ApiCsrf],
    openapi_extra=api_links.links(200, {"Upvote": _UPVOTE}),
)
def remove_upvote(site: SiteDep, user: SignedInDep, paper_id: str) -> Response:
    """Undo an upvote (idempotent)."""
    card = _one(site, paper_id)
    count, state = community.vote(site, user, card.paper.id, False)
    return _json({"id": card.paper.id, "upvotes": count, "upvoted": state})


@router.get(
    "/papers/{paper_id:path}",
    response_model=PaperOut,
    summary="One paper",
    openapi_extra=_conditional(api_links.links(200, api_links.paper_links("/id"))),
)
def paper(request: Request, site: SiteDep, paper_id: str) -> Response:
    """One paper by arXiv id (versions and URLs are accepted: `askedVersion` says which)."""
    card = _one(site, paper_id)
    number = version_named(paper_id)
    asked = asked_version(card.paper, number) if number else None

    def build() -> object:
        with site.engine.connect() as conn:
            shown = upvoters(conn, card.paper.id, card.upvotes)
        named = {"upvotedBy": upvoters_json(shown), "keywords": list(keyphrases(card.paper))}
        return paper_json(card) | named | _asked_json(asked)

    return _cached(request, site, build)


@router.post(
    "/submit",
    response_model=ItemOut,
    status_code=201,
    dependencies=[ApiCsrf],
    responses={
        502: {"description": "arXiv could not be reached, or its answer was not usable: retry"},
        503: {"description": "other papers are being fetched from arXiv: retry in a minute"},
    },
    openapi_extra=api_links.links(201, api_links.paper_links("/paper/id")),
)
def submit(request: Request, site: SiteDep, user: SignedInDep, body: SubmitIn) -> Response:
    """Submit a new arXiv paper (from the last `submit_window_days` days), credited to you."""
    limit_submitter(site, request, user.id)
    try:
        done = community.submit_paper(site, user, body.id)
    except community.SubmitError as exc:
        raise HTTPException(exc.status, str(exc), headers=exc.headers) from exc
    with site.engine.connect() as conn:
        return _json(item_json(views.cards(conn, [done.paper_id], user)[0]), 201)


@router.post(
    "/login",
    response_model=TokenOut,
    summary="Get a bearer token",
    openapi_extra=api_links.links(
        200,
        {
            "Profile": api_links.link(
                "GET", "/api/users/{name}", "Your profile", {"name": "$response.body#/username"}
            )
        },
    ),
)
def login(request: Request, site: SiteDep, body: LoginIn) -> Response:
    """Exchange a user name and password for a token to send as `Authorization: Bearer`."""
    try:
        user = limited_sign_in(site, request, body.username, body.password)
    except BadCredentials as exc:  # a 401 names its scheme (RFC 9110 11.6.1)
        raise HTTPException(401, str(exc), {"WWW-Authenticate": CHALLENGE}) from exc
    token = start_session(site.engine, user, site.session_terms)
    return _json({"token": token, "username": user.username})


class LoggedOutOut(BaseModel):
    ok: Literal[True]


@router.post(
    "/logout",
    summary="Revoke the bearer token",
    dependencies=[ApiCsrf],
    response_model=LoggedOutOut,
)
def logout(request: Request, site: SiteDep, user: SignedInDep) -> Response:
    """End the session the request is authenticated with (or revoke its personal API token)."""
    token = session_token(request)
    if token:
        with site.writing() as conn:
            if api_token_of(request) is not None:
                revoke_secret(conn, token)
            else:
                delete_session(conn, token)
    return _json({"ok": True})
