"""Conferences: every venue the papers here name (their arXiv comment or journal reference,
`paperfeed.venues`), and each venue's papers as a list or by topic."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy import Connection

from paperfeed.recommend.model import Recommendation
from paperfeed.store.accounts import User
from paperfeed.store.listings import papers_at_venue, venue_counts
from paperfeed.venues import TRACKS, Venue
from paperfeed.web import views
from paperfeed.web.deps import Site, SiteDep, UserDep
from paperfeed.web.pages.common import PageNo, _hide, _page
from paperfeed.web.pages.topics import saved_on_map
from paperfeed.web.venue_params import VenuePageSort, venue_named
from paperfeed.web.views.topics import MOST_PAPERS, page_parts, topics_among

router = APIRouter(include_in_schema=False)


@router.get("/venues")
def venues_page(request: Request, site: SiteDep, user: UserDep) -> Response:
    """Every conference papers here say they are at, by year, with its papers' count."""

    def build() -> dict[str, object]:
        with site.engine.connect() as conn:
            return {"years": views.venue_index(conn)}

    return _page(request, site, user, "venues.html", build)


@router.get("/venues/{slug}")
def venue_page(
    request: Request,
    site: SiteDep,
    user: UserDep,
    slug: str,
    sort: VenuePageSort = "newest",
    page: PageNo = 1,
) -> Response:
    """A conference's papers (`slug`: icml-2026, acl-2026-findings, cvpr-2026-workshop):
    newest first, most upvoted first, or (`foryou`) ranked for the signed-in reader by their
    For you model, each with why, those they saved or rated left out."""
    venue = venue_named(slug)

    def build() -> dict[str, object]:
        per_page, hide = site.settings.page_size, _hide(request, site, user)
        depth = page * per_page
        ranking = _ranking(request, site, user, venue, depth) if sort == "foryou" else None
        ranked = [r.id for r in ranking] if ranking else None  # none left: the newest then
        order = "newest" if sort == "foryou" else sort
        with site.engine.connect() as conn:
            listing = views.by_venue(conn, venue, order, page, per_page, user, hide, ranked)
            tracks, years = _tracks(conn, venue), _years(conn, venue)
        if listing is None:
            raise HTTPException(404, f"no paper here says it is at {venue.label}")
        return {
            "listing": listing,
            "venue": venue,
            "sort": sort,
            "tracks": tracks,
            "years": years,
            "why": {r.id: r.why for r in ranking or ()},
            "unranked": sort == "foryou" and not ranking,
            "all_seen": ranking == [],  # every paper of it saved or rated already
        }

    return _page(request, site, user, "venue.html", build)


def _ranking(
    request: Request, site: Site, user: User | None, venue: Venue, depth: int
) -> list[Recommendation] | None:
    """The conference's papers as the reader's For you model ranks them, the first `depth`
    with why (None: signed out, or nothing of theirs to rank by yet)."""
    if user is None:
        return None
    from paperfeed.web.library.common import _recommender  # the For you stack, on first use

    with site.engine.connect() as conn:
        held = papers_at_venue(conn, venue.label, "votes", 0, MOST_PAPERS)
        show_muted = request.query_params.get("show_muted") == "1"
        return _recommender(request).feed_among(conn, user.id, held.ids, show_muted, depth)


@router.get("/venues/{slug}/topics")
def venue_topics(
    request: Request,
    site: SiteDep,
    user: UserDep,
    slug: str,
    topic: Annotated[int | None, Query(ge=1, le=100, description="one topic, all of it")] = None,
) -> Response:
    """A conference's papers grouped by topic and drawn on a map, most upvoted first within
    each (its MOST_PAPERS most upvoted at most); `topic`: all of that one."""
    venue = venue_named(slug)

    def build() -> dict[str, object]:
        with site.engine.connect() as conn:
            held = papers_at_venue(conn, venue.label, "votes", 0, MOST_PAPERS)
        if not held.ids:
            raise HTTPException(404, f"no paper here says it is at {venue.label}")
        found = topics_among(site.engine, user, held.ids, held.total)
        return {
            "venue": venue,
            "topics": found.groups,
            "waiting": found.waiting,
            "total": found.total,
            "read": found.read,
            "volatile": bool(found.waiting),
        } | page_parts(found, saved_on_map(site, user, found), topic)

    return _page(request, site, user, "venue_topics.html", build)


def _tracks(conn: Connection, venue: Venue) -> list[tuple[Venue, int]]:
    """The conference's tracks held here (main, findings, workshops, challenges), each with its
    papers."""
    return _counted(conn, [Venue(venue.name, venue.year, t) for t in ("", *TRACKS)])


YEARS_BACK = 10  # the years of a conference its page links, before its own (and two after)


def _years(conn: Connection, venue: Venue) -> list[tuple[Venue, int]]:
    """The same conference and track in the other years held here, oldest first, each with
    its papers (its own year among them)."""
    years = range(venue.year - YEARS_BACK, venue.year + 3)
    return _counted(conn, [Venue(venue.name, year, venue.track) for year in years])


def _counted(conn: Connection, venues: list[Venue]) -> list[tuple[Venue, int]]:
    """The venues papers here name (in the order given), each with its papers shown."""
    counts = venue_counts(conn, [v.label for v in venues])
    return [(v, counts[v.label]) for v in venues if counts.get(v.label)]
