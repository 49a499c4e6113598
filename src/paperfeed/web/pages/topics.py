"""A day's, week's or month's papers by topic: grouped by meaning (their embeddings), each group
named by the words that set it apart (`paperfeed.topics`), most upvoted first within each."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from paperfeed.store.accounts import User
from paperfeed.store.library import saved_ids
from paperfeed.store.listings import Hide, latest_day
from paperfeed.web import views
from paperfeed.web.deps import Site, SiteDep, UserDep
from paperfeed.web.pages.common import _page
from paperfeed.web.pages.daily import _day_nav
from paperfeed.web.periods import DailyCategory, Period, day_period, parse_period
from paperfeed.web.views.topics import Topics, page_parts, topics_of

router = APIRouter(include_in_schema=False)
KINDS = ("date", "week", "month")


@router.get("/topics")
def topics_now(site: SiteDep, category: DailyCategory = None) -> Response:
    """The newest day's papers by topic."""
    within = views.daily_categories(category or [])
    with site.engine.connect() as conn:
        newest = latest_day(conn)
    if newest is None:
        return RedirectResponse("/daily", status_code=302)
    to = _topics_path(day_period(newest)) + views.category_query(within)
    return RedirectResponse(to, status_code=302)  # moves on with each new day


@router.get("/topics/{kind}/{value}")
def topics_page(
    request: Request,
    site: SiteDep,
    user: UserDep,
    kind: str,
    value: str,
    category: DailyCategory = None,
    topic: Annotated[int | None, Query(ge=1, le=100, description="one topic, all of it")] = None,
) -> Response:
    """The papers of a day (date: 2026-07-01), an ISO week (week: 2026-W27) or a month (month:
    2026-07) grouped by topic; `category` keeps to those categories, as on the daily pages;
    `topic`: only that one (its place in the page's index), with all of its papers."""
    if kind not in KINDS:
        raise HTTPException(404, f"topics are shown for a {', a '.join(KINDS)}")
    period = parse_period(kind, value)
    within = views.daily_categories(category or [])
    show_muted = request.query_params.get("show_muted") == "1"

    def build() -> dict[str, object]:
        hide = _mutes(request, site, user)
        found, context = _topics_context(site, user, period, within, hide, show_muted)
        return context | page_parts(found, saved_on_map(site, user, found), topic)

    return _page(request, site, user, "topics.html", build)


def _mutes(request: Request, site: Site, user: User | None) -> Hide | None:
    """What the reader's mutes hide (counted even when shown, to say so)."""
    if user is None:
        return None
    from paperfeed.web.library import hide_for  # the For you stack loads on first use

    return hide_for(request, site, user, False)


def _topics_context(
    site: Site,
    user: User | None,
    period: Period,
    within: tuple[str, ...],
    hide: Hide | None,
    show_muted: bool,
) -> tuple[Topics, dict[str, object]]:
    held = views.category_members(within)
    found = topics_of(site.engine, user, period, held, hide, show_muted)
    with site.engine.connect() as conn:
        around = _day_nav(conn, period, held)
    nav = {
        k: _topics_path_of(v) + views.category_query(within)
        if isinstance(v, str) and k.endswith("_path")
        else v
        for k, v in around.items()
    }
    return found, {
        "period": period,
        "within": within,
        "topics": found.groups,
        "waiting": found.waiting,
        "total": found.total,
        "read": found.read,
        "list_path": period.path + views.category_query(within),
        "topics_path": _topics_path(period),
        **nav,
        **_muted(found.hidden, show_muted),
        # embedding the papers waiting changes no data version: such a page is not kept
        "volatile": bool(found.waiting),
    }


def saved_on_map(site: Site, user: User | None, found: Topics) -> set[str]:
    """The papers of the map in the signed-in reader's library (ringed on it)."""
    if user is None or not found.places:
        return set()
    with site.engine.connect() as conn:
        return set(saved_ids(conn, user.id, list(found.places)))


def _muted(count: int, show_muted: bool) -> dict[str, object]:
    if not count:
        return {}
    from paperfeed.web.library.common import Muted

    return {"muted": Muted(count, "list"), "show_muted": show_muted}


def _topics_path(period: Period) -> str:
    return f"/topics/{period.kind}/{period.slug}"


def _topics_path_of(list_path: str) -> str:
    """The topics page of a daily page's address (/papers/date/2026-07-01)."""
    return "/topics/" + list_path.removeprefix("/papers/")
