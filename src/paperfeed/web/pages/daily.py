"""A day's, week's, month's or run of days' papers, with the calendar's neighbours."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection

from paperfeed.store.accounts import User
from paperfeed.store.listings import (
    Hide,
    categories_between,
    first_listing_day,
    last_day_within,
    latest_day,
    listing_day_near,
    neighbour_days,
)
from paperfeed.web import views
from paperfeed.web.deps import Site, SiteDep, UserDep
from paperfeed.web.pages.common import PageNo, _hide, _page
from paperfeed.web.pages.paper import paper_page
from paperfeed.web.periods import (
    DailyCategory,
    Period,
    day_period,
    month_period,
    parse_period,
    week_period,
)
from paperfeed.web.render import query_string
from paperfeed.web.visits import NewOnly, listed_after, new_since

router = APIRouter(include_in_schema=False)
# A daily page's order: most upvoted first (Hugging Face's) or newest first (arXiv's).
DailySort = Annotated[
    str, Query(pattern="^(votes|new)$", description="votes: most upvoted first; new: newest")
]


def _daily_context(
    site: Site,
    conn: Connection,
    user: User | None,
    period: Period,
    page: int,
    hide: Hide | None,
    latest: bool = False,
    sort: str = "votes",
    within: tuple[str, ...] = (),
    only_new: bool = False,
) -> dict[str, object]:
    newest, since = sort == "new", listed_after(user, only_new)
    per_page = site.settings.page_size
    listing = views.daily(conn, period, page, per_page, user, hide, newest, within, since)
    if latest or (period.kind in ("week", "month") and _holds_newest(conn, period)):
        # the newest day's page (or its week's or month's) offers the feed that moves on
        listing = views.following_newest(listing, period.kind)
        listing = replace(listing, feed_query=_with_categories(listing.feed_query, within))
    held = views.category_members(within)
    nav = _day_nav(conn, period, held)
    kept = query_string(
        sort="new" if newest else None, category=",".join(within), new=1 if since else None
    )
    if kept:  # the other days, weeks and months keep the order, categories and new only
        nav |= {k: f"{v}{kept}" for k, v in nav.items() if k.endswith("_path") and v}
    counts = categories_between(conn, period.start, period.end)
    fresh = new_since(conn, user, period, held, since is not None, hide)
    context = {"listing": listing, "sort": sort, "within": within, "day_categories": counts}
    return context | {"new_since": fresh, **nav}


def _with_categories(feed_query: str, within: tuple[str, ...]) -> str:
    """A feed's query with the page's category filter added."""
    return feed_query + views.category_query(within, "&" if feed_query else "?")


def _holds_newest(conn: Connection, period: Period) -> bool:
    newest = latest_day(conn)
    return newest is not None and period.start <= newest <= period.end


def _day_nav(conn: Connection, period: Period, held: tuple[str, ...] = ()) -> dict[str, object]:
    # Day / Week / Month switch around one day: the period's latest day with papers (a week
    # across two months opens the month the reader was in, Day a day with papers), in the
    # categories `held` where the page is filtered.
    anchor = period.start
    if period.kind != "date":
        anchor = last_day_within(conn, period.start, period.end, held) or period.start
    # The nearest periods with papers (in those categories): empty weeks and months are
    # skipped, and the first and last ones lead nowhere further; a run of days (a digest's
    # link) has no neighbours.
    before, after = neighbour_days(conn, period.start, period.end, held)
    of = {"date": day_period, "week": week_period, "month": month_period}.get(period.kind)
    prev, nxt = (of(d) if of and d else None for d in (before, after))
    return {
        "day_path": day_period(anchor).path,
        "week_path": week_period(anchor).path,
        "month_path": month_period(anchor).path,
        "prev_path": prev.path if prev else None,
        "prev_label": prev.heading if prev else "",
        "next_path": nxt.path if nxt else None,
        "next_label": nxt.heading if nxt else "",
        # the calendar's bounds: the days the store holds
        "first_day": first_listing_day(conn),
        "last_day": latest_day(conn),
    }


def _picked_day(site: Site, asked: date, sort: str, within: tuple[str, ...] = ()) -> Response:
    """The calendar's day, or the nearest listing day on or before it (the first one before
    the store's first), the page then saying why (the categories chosen kept)."""
    with site.engine.connect() as conn:
        shown = listing_day_near(conn, asked) or asked
    moved = asked.isoformat() if shown != asked else None
    sorted_by = "new" if sort == "new" else None
    params = query_string(sort=sorted_by, category=",".join(within), asked=moved)
    # where an empty day leads changes as papers arrive: not a permanent redirect
    return RedirectResponse(day_period(shown).path + params, status_code=302 if moved else 301)


def _moved_notice(conn: Connection, period: Period, asked: date) -> str | None:
    """Why the calendar's day led to this one (nothing when it did not)."""
    if period.kind != "date" or asked == period.start:
        return None
    if listing_day_near(conn, asked) != period.start:
        return None  # an `asked` this page was not reached from
    day = day_period(asked).subheading
    if asked < period.start:
        return f"Nothing is listed on {day}: the papers here begin on {period.subheading}."
    weekend = " (arXiv announces none at weekends)" if asked.weekday() >= 5 else ""
    return f"No papers were announced on {day}{weekend}: here is the nearest day before it."


@router.get("/papers/{kind}/{value}")
def daily_page(
    request: Request,
    site: SiteDep,
    user: UserDep,
    kind: str,
    value: str,
    page: PageNo = 1,
    sort: DailySort = "votes",
    asked: Annotated[
        str | None, Query(max_length=32, description="the day picked, when it had no papers")
    ] = None,
    category: DailyCategory = None,
    new: NewOnly = 0,
) -> Response:
    """Daily papers of a day (date), an ISO week (week), a month (month) or a run of days
    (days: 2026-06-29..2026-07-03, as a digest's link names them); `?new=1`: only those new
    since the reader's previous visit."""
    if kind not in ("date", "week", "month", "days"):
        return paper_page(request, site, user, f"{kind}/{value}")
    period = parse_period(kind, value)
    picked = parse_period("date", asked).start if asked else None
    within = views.daily_categories(category or [])

    def build() -> dict[str, object]:
        hide = _hide(request, site, user)
        with site.engine.connect() as conn:
            args = (page, hide, False, sort, within, bool(new))
            context = _daily_context(site, conn, user, period, *args)
            moved = _moved_notice(conn, period, picked) if picked else None
            return context | {"moved": moved}

    return _page(request, site, user, "daily.html", build)
