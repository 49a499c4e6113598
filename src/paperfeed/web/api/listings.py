"""Lists of papers and collections: the daily papers, trending, public collections."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy import Connection

from paperfeed.store import library as lib
from paperfeed.store.listings import latest_day, venue_counts
from paperfeed.web import api_links, paging, views, walk
from paperfeed.web.api.common import (
    Limit,
    PageIndex,
    ShowMuted,
    _cached,
    _conditional,
    _json,
    _listed,
    _Page,
    _reader_hide,
    _walkable,
    _walked,
    item_json,
    past_end_none,
    stamp,
)
from paperfeed.web.api.schemas import ItemOut, PublicCollectionOut, TopicsOut, VenueOut
from paperfeed.web.deps import SiteDep, UserDep
from paperfeed.web.periods import (
    DailyCategory,
    PeriodDay,
    PeriodMonth,
    PeriodWeek,
    check_period_params,
    period_from_query,
)
from paperfeed.web.venue_params import VenueSort, venue_named
from paperfeed.web.views.topics import topics_of

router = APIRouter()


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
    day: PeriodDay = None,
    week: PeriodWeek = None,
    month: PeriodMonth = None,
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

    pinned: dict[str, str] = {}  # the newest day, named: a new day does not move the walk

    def listing() -> views.Listing | None:
        try:
            with site.engine.connect() as conn:
                period = period_from_query(day, week, month, latest_day(conn))
                if period is None:
                    return None
                if not (day or week or month):
                    pinned["date"] = period.start.isoformat()
                newest = sort == "new"
                return views.daily(conn, period, p + 1, limit, None, hide, newest, within)
        except views.PageOutOfRange:
            return None

    return _listed(request, site, hide, p, listing, pinned)


@router.get("/topics", response_model=TopicsOut, summary="Papers by topic")
def topics(
    request: Request,
    site: SiteDep,
    user: UserDep,
    day: PeriodDay = None,
    week: PeriodWeek = None,
    month: PeriodMonth = None,
    category: DailyCategory = None,
    show_muted: ShowMuted = False,
) -> Response:
    """The papers of a day (default: the newest), week or month grouped by topic, as the
    site's "by topic" pages group them: each topic's words (`label`), its size and its paper
    ids, most upvoted first, with each paper's place on the pages' map (`places`: x and y in
    [0, 1], y downwards, in the order of `papers`); `waiting`: papers not yet embedded. A
    period of more than 5,000 papers is grouped by its most upvoted ones (`grouped` says how
    many were read of `total`). With a bearer token, the user's mutes leave papers out
    (`hiddenByMutes` says how many; see show_muted)."""
    check_period_params(day, week, month)
    within = views.daily_categories(category or [])
    hide = _reader_hide(request, site, user, show_muted)

    def build() -> dict[str, object]:
        with site.engine.connect() as conn:
            period = period_from_query(day, week, month, latest_day(conn))
        if period is None:
            empty: dict[str, object] = {"period": None, "topics": [], "waiting": []}
            return empty | {"total": 0, "grouped": 0, "hiddenByMutes": 0}
        found = topics_of(site.engine, None, period, views.category_members(within), hide)
        return {
            "period": {
                "kind": period.kind,
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
            },
            "topics": [
                {
                    "label": list(g.label),
                    "size": len(g.cards),
                    "papers": [c.paper.id for c in g.cards],
                    "places": [[round(v, 4) for v in found.places[c.paper.id]] for c in g.cards],
                }
                for g in found.groups
            ],
            "waiting": [c.paper.id for c in found.waiting],
            "total": found.total,
            "grouped": found.read,
            "hiddenByMutes": found.hidden,
        }

    # the same for every caller without mutes: kept until the data changes, unless papers wait
    # for their embedding (embedding them changes no data version)
    if hide is not None:
        return _json(build())
    return _cached(request, site, build, keep=lambda built: not built["waiting"])


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

    def listing(conn: Connection) -> views.Listing | None:
        return views.trending_listing(conn, site.weights, p + 1, limit, None, hide)

    return _listed(request, site, hide, p, past_end_none(site, listing))


@router.get("/venues", response_model=list[VenueOut], summary="Conferences")
def venues(request: Request, site: SiteDep) -> Response:
    """Every conference (and track) the papers here say they appear at, in their arXiv comment
    or journal reference, newest year first and the most papers first within a year."""

    def build() -> list[dict[str, Any]]:
        with site.engine.connect() as conn:
            years = views.venue_index(conn)
        base = site.settings.public_url.rstrip("/")
        out: list[dict[str, Any]] = []
        for year in years:
            for main, count, others in year.venues:
                for venue, n in [(main, count), *others]:
                    if not n:
                        continue
                    feeds = f"{base}/feeds/venue/{venue.slug}"
                    out.append({
                        "name": venue.name, "year": venue.year, "track": venue.track,
                        "label": venue.label, "slug": venue.slug, "papers": n,
                        "url": f"{base}/venues/{venue.slug}",
                        "feeds": {f: f"{feeds}.{f}" for f in ("atom", "rss", "bib")},
                    })  # fmt: skip
        return out

    return _cached(request, site, build)


@router.get(
    "/venues/{slug}",
    response_model=list[ItemOut],
    summary="A conference's papers",
    openapi_extra=_conditional(paging.documented(api_links.listing_links(), total=False)),
)
def venue_papers(
    request: Request,
    site: SiteDep,
    user: UserDep,
    slug: str,
    sort: VenueSort = "newest",
    p: PageIndex = 0,
    limit: Limit = 50,
    show_muted: ShowMuted = False,
) -> Response:
    """The papers whose arXiv comment or journal reference says they appear at a conference
    (`slug`, as /api/venues gives it: icml-2026, acl-2026-findings), newest or most upvoted
    first; a bearer token's mutes apply. A conference no paper here names is a 404."""
    venue = venue_named(slug)
    with site.engine.connect() as conn:
        if not venue_counts(conn, [venue.label]):
            raise HTTPException(404, f"no paper here says it is at {venue.label}")
    hide = _reader_hide(request, site, user, show_muted)

    def listing(conn: Connection) -> views.Listing | None:
        return views.by_venue(conn, venue, sort, p + 1, limit, None, hide)

    return _listed(request, site, hide, p, past_end_none(site, listing))
