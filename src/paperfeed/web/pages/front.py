"""The front page (For you, or the newest day's papers) and /daily."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from paperfeed.store.accounts import User
from paperfeed.store.library import has_positives
from paperfeed.store.listings import latest_day
from paperfeed.web import views
from paperfeed.web.deps import Site, SiteDep, UserDep
from paperfeed.web.pages.addresses import _arxiv_sanity
from paperfeed.web.pages.common import PageNo, _hide, _page
from paperfeed.web.pages.daily import DailySort, _daily_context, _picked_day
from paperfeed.web.periods import DailyCategory, day_period, parse_period
from paperfeed.web.visits import NewOnly

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(
    request: Request, site: SiteDep, user: UserDep, page: PageNo = 1, new: NewOnly = 0
) -> Response:
    """For you once the signed-in reader has given something to rank towards (a save, 👍,
    follow, upvote or submission: not a 👎 or a mute alone); otherwise the newest day's
    papers (`?new=1`, either way: only those new since the reader's previous visit)."""
    moved = _arxiv_sanity(request)
    if moved is not None:
        return moved
    if user is not None and page == 1:
        with site.engine.connect() as conn:
            personal = has_positives(conn, user.id)
        if personal:
            from paperfeed.web.library import for_you

            return for_you(request, site, user, new=new)
    return _daily(request, site, user, page, new=new, start_here=user is not None)


@router.get("/daily")
def daily_home(
    request: Request,
    site: SiteDep,
    user: UserDep,
    page: PageNo = 1,
    day: Annotated[str | None, Query(alias="date", max_length=32)] = None,
    sort: DailySort = "votes",
    category: DailyCategory = None,
    new: NewOnly = 0,
) -> Response:
    """Daily papers of the newest day in the store (`?date=` goes to that day's page, as
    /papers?date= does; `?new=1`: only those new since the reader's previous visit)."""
    return _daily(request, site, user, page, day, sort, category, new)


def _daily(
    request: Request,
    site: Site,
    user: User | None,
    page: int = 1,
    day: str | None = None,
    sort: str = "votes",
    category: list[str] | None = None,
    new: int = 0,
    start_here: bool = False,
) -> Response:
    """The newest day's page; `start_here`: the home page of a signed-in reader who has not
    given For you anything to rank towards yet, which points them at where to start."""
    within = views.daily_categories(category or [])
    if day:
        return _picked_day(site, parse_period("date", day).start, sort, within)

    def build() -> dict[str, object]:
        hide = _hide(request, site, user)
        with site.engine.connect() as conn:
            period = day_period(latest_day(conn) or date.today())
            args = (page, hide, True, sort, within, bool(new))
            return {**_daily_context(site, conn, user, period, *args), "start_here": start_here}

    return _page(request, site, user, "daily.html", build)
