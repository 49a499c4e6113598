"""Your For you feed under /api/me: its windows and ranking."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy import Connection

from paperfeed.recommend.service import Recommender
from paperfeed.store.listings import latest_day, papers_at_venue
from paperfeed.web import api_links, views
from paperfeed.web.api import item_json
from paperfeed.web.deps import SignedInDep, SiteDep
from paperfeed.web.me_api.common import OptionalId, _json, own_collection
from paperfeed.web.me_api.schemas import FeedItemOut
from paperfeed.web.periods import BLANK_IS_NONE, FIRST_DAY, LAST_DAY, OptionalDay, blank_or
from paperfeed.web.venue_params import venue_named
from paperfeed.web.views.topics import MOST_PAPERS

router = APIRouter()


MAX_WINDOW_DAYS = 366
# For you's windows, named as on the page and the private feed: days ending on the newest
# listing day ("all": the whole store).
WINDOWS = {"today": 1, "week": 7, "month": 30, "all": 0}


Window = Literal["today", "week", "month", "all"]
# A window as a query parameter; given empty (`window=`), left out as other filters are.
OptionalWindow = Annotated[
    Window | None, BLANK_IS_NONE, blank_or({"type": "string", "enum": list(WINDOWS)})
]


ALL_TIME_UNAVAILABLE = (
    "the all-time feed ranks papers near the ones you saved or rated 👍, found by the search's "
    "vector index: it needs both (the index is built by `paperfeed embed`); use since/until"
)


def get_recommender(request: Request) -> Recommender:
    """The process's recommender (created with the app)."""
    found: Recommender = request.app.state.recommender
    return found


RecommenderDep = Annotated[Recommender, Depends(get_recommender)]


def feed_window(
    conn: Connection, since: date | None, until: date | None, days: int = 7
) -> tuple[date, date]:
    """The window a feed ranks: [since, until], by default the last week of listings."""
    for name, day in (("since", since), ("until", until)):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise HTTPException(400, f"{name}: {day} is outside {FIRST_DAY}–{LAST_DAY}")
    end = until or latest_day(conn) or date.today()
    start = since or end - timedelta(days=days - 1)
    if start > end and until is None:
        raise HTTPException(
            400,
            f"since ({start}) is after the newest day of listings ({end}), where the window "
            "ends when until is left out",
        )
    if start > end:
        raise HTTPException(400, f"since ({start}) must not be after until ({end})")
    if (end - start).days >= MAX_WINDOW_DAYS:
        days = (end - start).days + 1
        raise HTTPException(
            400, f"the window is at most {MAX_WINDOW_DAYS} days (since..until spans {days})"
        )
    return start, end


_SINCE = (
    "first listing day of the window (default: 6 days before until); the window spans "
    f"at most {MAX_WINDOW_DAYS} days, since and until included, from {FIRST_DAY} to {LAST_DAY}"
)
_UNTIL = "last listing day of the window (default: the newest); see since for its limits"


@router.get(
    "/feed",
    response_model=list[FeedItemOut],
    openapi_extra=api_links.listing_links() | {"x-max-window-days": MAX_WINDOW_DAYS},
)
def feed(
    site: SiteDep,
    user: SignedInDep,
    recommender: RecommenderDep,
    since: Annotated[OptionalDay, Query(description=_SINCE)] = None,
    until: Annotated[OptionalDay, Query(description=_UNTIL)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    window: OptionalWindow = None,
    collection: Annotated[
        OptionalId, Query(description="rank by this collection of yours alone")
    ] = None,
) -> Response:
    """Your For you feed: the window's papers ranked by your model, each with why. The window is
    since..until (the last week of listings by default; at most 366 days, from 1991-01-01 to
    2200-12-31: a longer one is a 400), or one the page names instead: `today`,
    `week`, `month` (ending on the newest listing day), `all` (every stored paper). With
    `collection`, ranked by that collection's papers alone (and your 👎 and mutes)."""
    if window and (since or until):
        raise HTTPException(400, f"window={window} names its own days: leave out since and until")
    with site.engine.connect() as conn:
        if collection is not None:
            own_collection(conn, user.id, collection)
        if window == "all":
            found = recommender.feed_all(conn, user.id, limit, collection=collection)
            if found is None:
                raise HTTPException(409, ALL_TIME_UNAVAILABLE)
            recs = found
        else:
            start, end = feed_window(conn, since, until, WINDOWS[window] if window else 7)
            recs = recommender.feed(conn, user.id, start, end, limit, collection=collection)
        cards = {c.paper.id: c for c in views.cards(conn, [r.id for r in recs], user)}
    return _json([item_json(cards[r.id]) | {"why": r.why} for r in recs if r.id in cards])


@router.get(
    "/venues/{slug}",
    summary="A conference ranked for you",
    response_model=list[FeedItemOut],
)
def venue_feed(
    site: SiteDep,
    user: SignedInDep,
    recommender: RecommenderDep,
    slug: str,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    """A conference's papers (`slug` as `/api/venues` gives it: icml-2026, acl-2026-findings)
    ranked by your For you model, each with why; those you saved or rated are left out, and
    your mutes apply. A conference no paper here names is a 404; one that cannot be ranked for
    you yet (nothing saved, rated or followed; no vectors stored) is a 409 saying so."""
    venue = venue_named(slug)
    with site.engine.connect() as conn:
        held = papers_at_venue(conn, venue.label, "votes", 0, MOST_PAPERS)
        if not held.ids:
            raise HTTPException(404, f"no paper here says it is at {venue.label}")
        ranked = recommender.feed_among(conn, user.id, held.ids, explained=limit)
        if ranked is None:
            raise HTTPException(409, NOT_RANKED_YET)
        recs = ranked[:limit]
        cards = {c.paper.id: c for c in views.cards(conn, [r.id for r in recs], user)}
    return _json([item_json(cards[r.id]) | {"why": r.why} for r in recs if r.id in cards])


NOT_RANKED_YET = (
    "nothing to rank by yet: save or rate a few papers, or follow a category "
    "(PUT /api/me/ratings/{paper_id}, POST /api/me/library), then ask again"
)
