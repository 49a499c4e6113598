"""For you: the ranked page, starting it, what it learned, resetting it."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection

from paperfeed.models import Paper
from paperfeed.recommend.model import Recommendation
from paperfeed.recommend.service import Recommender, follows_of, has_mutes, hides
from paperfeed.store import get_paper
from paperfeed.store import library as lib
from paperfeed.store.accounts import User
from paperfeed.store.listings import latest_day, top_categories
from paperfeed.web import me_api, shared_lists, views
from paperfeed.web.confirm import Confirmed, ask
from paperfeed.web.deps import FormCsrf, SignedInDep, SignInRequired, SiteDep, UserDep, html
from paperfeed.web.library.common import (
    ALL_TIME_FALLBACK,
    WINDOWS,
    Muted,
    _here,
    _recommender,
    mark_muted,
    personal_context,
)
from paperfeed.web.render import query_string
from paperfeed.web.visits import NewOnly, NewSince, new_in_ranking

router = APIRouter(include_in_schema=False)


@router.get("/for-you")
def for_you(
    request: Request,
    site: SiteDep,
    user: UserDep,
    window: str = "week",
    show_muted: Annotated[int, Query(ge=0, le=1)] = 0,
    collection: CollectionParam = "",
    page: Annotated[int, Query(ge=1, le=FOR_YOU_PAGES)] = 1,
    pick: Annotated[int, Query(ge=0, le=1)] = 0,
    acted: Annotated[str, Query(max_length=100)] = "",
    new: NewOnly = 0,
) -> Response:
    """Papers of today, this week or this month ranked by your model, each with why; ranked by
    one of your collections alone when `collection` names it (empty, as the page's "Rank by"
    form sends "everything": by all your signals); `page` reads further down the ranking.
    `pick=1`: the starting categories were sent with none ticked (the page says so).
    `acted`: the paper whose card's button (a plain form) came back here.
    `new=1`: only the ranked papers new since your previous visit, in rank order."""
    if user is None:  # sent to sign in; a suspended account's session is told why (403)
        raise SignInRequired()
    collection_id = _collection_id(collection)
    if window not in WINDOWS:
        raise HTTPException(400, f"window is one of {', '.join(WINDOWS)}")
    recommender, size = _recommender(request), site.settings.page_size
    with site.engine.connect() as conn:
        chosen = (
            me_api.own_collection(conn, user.id, collection_id)
            if collection_id is not None
            else None
        )
        # A returning reader's count of new papers reaches the last page one can read; the
        # reasons are worded for this page's papers only (for all with ?new=1, which shows
        # papers from anywhere in that depth): wording 600 took most of the ranking's time.
        on_page = size * page + 1
        depth = size * FOR_YOU_PAGES if user.previous_visit else on_page
        ranked, notice = ranked_feed(
            recommender,
            conn,
            user.id,
            window,
            depth,
            bool(show_muted),
            collection_id,
            explained=None if new else on_page,
        )
        ranked, fresh = _new_only(conn, user, ranked, bool(new))
        recs, more = ranked[size * (page - 1) : size * page], len(ranked) > size * page
        if page > 1 and not recs:
            raise views.PageOutOfRange(f"page {page} is past the end of this window's ranking")
        shown = {c.paper.id: c for c in views.cards(conn, [r.id for r in recs], user)}
        items = [(shown[r.id], r.why) for r in recs if r.id in shown]
        muted = _muted_in_feed(
            conn,
            recommender,
            user,
            window,
            size,
            bool(show_muted),
            collection_id,
            page,
            only_new=bool(new),
        )
        context = {
            "items": items,
            "window": window,
            "windows": list(WINDOWS),
            "notice": notice,
            "show_muted": bool(show_muted),
            "chosen": chosen,
            "page": page,
            "more": more and page < FOR_YOU_PAGES,
            "collections": lib.user_collections(conn, user.id),
            "list_news": shared_lists.news(conn, user) if page == 1 else [],
            **muted,
            **personal_context(conn, user, list(shown)),
            **(_starting(conn, user.id) if not items and chosen is None else {}),
            "pick_problem": bool(pick),
            "span": window_span(conn, window),
            "new_since": fresh,
            "left_out": _left_out(conn, user.id, acted) if acted not in shown else None,
        }
        if show_muted:
            follows = follows_of(conn, user.id)
            mark_muted(context, follows, [c.paper for c in shown.values()])
    here = "/for-you" + query_string(  # show_muted last: the mutes note drops it from here
        window=window,
        collection=collection_id,
        page=page if page > 1 else None,
        new=1 if fresh and fresh.only else None,
        show_muted=show_muted or None,
    )
    return html(site, request, site.render("for_you.html", user=user, here=here, **context))


def _new_only(
    conn: Connection, user: User, ranked: list[Recommendation], only: bool
) -> tuple[list[Recommendation], NewSince | None]:
    """The ranking kept to the papers new since the reader's previous visit when `only`, and
    how many of it are new (None on a first visit)."""
    fresh, listed = new_in_ranking(conn, user, [r.id for r in ranked], only)
    kept = set(listed)
    return [r for r in ranked if r.id in kept], fresh


def _left_out(conn: Connection, user_id: int, pid: str) -> tuple[Paper, str] | None:
    """A paper whose card left For you when saved or rated there, and what was done to it."""
    paper = get_paper(conn, pid) if pid else None
    if paper is None:
        return None
    rating = lib.user_ratings(conn, user_id, [pid]).get(pid)
    done = ["saved to your library"] if lib.library_item(conn, user_id, pid) else []
    done += {1: ["rated 👍 more like this"], -1: ["rated 👎 less like this"]}.get(rating or 0, [])
    return (paper, " and ".join(done)) if done else None


def _muted_in_feed(
    conn: Connection,
    recommender: Recommender,
    user: User,
    window: str,
    size: int,
    shown: bool,
    collection: int | None = None,
    page: int = 1,
    only_new: bool = False,
) -> dict[str, object]:
    """How many papers the reader's mutes hide from the `page`th page of the ranking without
    mutes (kept beside the page's own; nothing for a reader without mutes). With `only_new`
    that ranking too keeps to the papers new since the reader's previous visit, as the page
    does, so the note counts only new papers hidden."""
    follows = follows_of(conn, user.id)
    if not has_mutes(follows):
        return {}
    depth = size * FOR_YOU_PAGES if only_new else size * page
    args = (recommender, conn, user.id, window, depth, True, collection)
    every, _notice = ranked_feed(*args, explained=0)  # counted, never shown: no reasons
    _fresh, ids = new_in_ranking(conn, user, [r.id for r in every], only_new)
    papers = views.current_papers(conn, ids[size * (page - 1) : size * page])
    count = sum(hides(p, follows) for p in papers.values())
    return {"muted": Muted(count, "page")} if count or shown else {}


RATINGS_SHOWN = 500  # the newest 👍 and 👎 the learned page lists, each to take back
FOR_YOU_PAGES = 20  # pages of For you one can read down (600 papers at the default page size)
START_DAYS = 30  # a new reader is offered the categories of the last month's papers
START_OFFERED = 16


def _starting(conn: Connection, user_id: int) -> dict[str, object]:
    """What an empty For you page offers a reader who follows no category yet: the store's
    common categories of the last month, to follow at once."""
    newest = latest_day(conn)
    if newest is None or follows_of(conn, user_id).categories:
        return {}
    since = newest - timedelta(days=START_DAYS - 1)
    return {"start_categories": top_categories(conn, since, START_OFFERED)}


@router.post("/for-you/start", dependencies=[FormCsrf])
def start(
    site: SiteDep,
    user: SignedInDep,
    category: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006  (FastAPI copies it)
) -> Response:
    """Follow the categories a new reader ticked, then show what For you ranks with them
    (at most 100 at once: `max_length` bounds the list; each name must be a known category)."""
    chosen = [me_api.interest_key("category", name)[0] for name in category]
    if not chosen:  # back to the picker, which says so
        return RedirectResponse("/for-you?window=month&pick=1", status_code=303)
    with site.engine.begin() as conn:
        for name in dict.fromkeys(chosen):
            key, label = me_api.interest_key("category", name)
            lib.add_interest(conn, user.id, "follow", "category", key, label)
    return RedirectResponse("/for-you?window=month", status_code=303)


def ranked_feed(
    recommender: Recommender,
    conn: Connection,
    user_id: int,
    window: str,
    limit: int,
    show_muted: bool = False,
    collection: int | None = None,
    explained: int | None = None,
) -> tuple[list[Recommendation], str | None]:
    """The user's feed for a named window (ranked by one collection when given), and a notice
    when all time fell back to the month; with `explained`, the first that many only come
    with a reason."""
    if window == "all":
        found = recommender.feed_all(conn, user_id, limit, show_muted, collection, explained)
        if found is not None:
            return found, None
    newest = latest_day(conn)
    if newest is None:
        return [], None
    start, end = me_api.feed_window(conn, None, newest, WINDOWS[window] or WINDOWS["month"])
    recs = recommender.feed(conn, user_id, start, end, limit, show_muted, collection, explained)
    return recs, ALL_TIME_FALLBACK if window == "all" else None


WINDOW_NAMES = {"today": "today", "week": "this week", "month": "this month", "all": "all time"}


def window_span(conn: Connection, window: str) -> str:
    """The days a window covers, in words ("listed 25 June – 1 July 2026"): its "today" is
    the newest listing day stored, which need not be the calendar's."""
    newest = latest_day(conn)
    if newest is None or window == "all":
        return "of every day stored" if newest else ""
    start, end = me_api.feed_window(conn, None, newest, WINDOWS[window] or WINDOWS["month"])
    last = f"{end.day} {end:%B %Y}"
    if start == end:
        return f"listed {last}"
    first = f"{start.day} {start:%B}" + (f" {start:%Y}" if start.year != end.year else "")
    return f"listed {first} – {last}"


CollectionParam = Annotated[str, Query(max_length=18, pattern=r"^\d*$")]


def _collection_id(value: str) -> int | None:
    """A `collection` query value as an id; empty (a form's "everything") is None."""
    return int(value) if value else None


@router.get("/for-you/learned")
def learned(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    collection: CollectionParam = "",
    reset: Annotated[int | None, Query(ge=0, le=10**9)] = None,
) -> Response:
    """What your model learned (or one collection's): strongest terms, each to follow as a
    saved search or to mute, and the papers it leans on."""
    collection_id = _collection_id(collection)
    with site.engine.connect() as conn:
        chosen = (
            me_api.own_collection(conn, user.id, collection_id)
            if collection_id is not None
            else None
        )
        end = latest_day(conn)
        found = None
        if end is not None:
            start = end - timedelta(days=6)
            found = _recommender(request).learned(conn, user.id, start, end, collection_id)
        followed = {i.value for i in lib.interests(conn, user.id, "follow") if i.kind == "search"}
        muted = {i.value for i in lib.interests(conn, user.id, "mute") if i.kind == "keyword"}
        rated = lib.list_ratings(conn, user.id, RATINGS_SHOWN) if chosen is None else []
        papers = views.current_papers(conn, [r.paper_id for r in rated])
    body = site.render(
        "learned.html",
        ratings=[(r, papers[r.paper_id]) for r in rated if r.paper_id in papers],
        user=user,
        learned=found,
        chosen=chosen,
        here=_here(request, ("reset",)),
        followed=followed,  # the terms' keys (lower case) the reader follows as searches
        muted=muted,  # ... and mutes as keywords
        reset=reset,  # how many ratings a reset just forgot
    )
    return html(site, request, body)


@router.post("/for-you/reset", dependencies=[FormCsrf])
def reset(request: Request, site: SiteDep, user: SignedInDep, confirmed: Confirmed = 0) -> Response:
    """Forget your ratings (after a question): the model starts again from your library and
    follows."""
    if not confirmed:
        question = "Forget all your 👍 and 👎 ratings? Your library and follows stay."
        return ask(request, site, user, question, "/for-you/learned", yes="Forget my ratings")
    with site.engine.begin() as conn:
        forgotten = lib.clear_ratings(conn, user.id)
    return RedirectResponse(f"/for-you/learned?reset={forgotten}", status_code=303)
