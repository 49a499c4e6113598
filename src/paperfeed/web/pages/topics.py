"""A day's, week's or month's papers by topic: grouped by meaning (their embeddings), each group
named by the words that set it apart (`paperfeed.topics`), most upvoted first within each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection

from paperfeed.store.accounts import User
from paperfeed.store.library.signals import vector_contract
from paperfeed.store.listings import Hide, latest_day, papers_between
from paperfeed.store.search_store import get_vectors
from paperfeed.topics import find_topics
from paperfeed.web import views
from paperfeed.web.deps import Site, SiteDep, UserDep
from paperfeed.web.pages.common import _page
from paperfeed.web.pages.daily import _day_nav
from paperfeed.web.periods import DailyCategory, Period, day_period, parse_period

router = APIRouter(include_in_schema=False)
MOST_PAPERS = 5_000  # a longer month is grouped by its most upvoted papers, as the page says
SHOWN = 8  # papers of a topic listed open; the others one click away
LISTED = 100  # papers of a topic the overview lists; the rest on the topic's own page
KINDS = ("date", "week", "month")


@dataclass(frozen=True)
class TopicGroup:
    """One topic as the page shows it: its words and its papers (most upvoted first)."""

    label: tuple[str, ...]
    cards: list[views.Card]

    @property
    def query(self) -> str:
        """A search for the topic's words, any of them."""
        return " OR ".join(f'"{w}"' if " " in w else w for w in self.label)


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
        with site.engine.connect() as conn:
            context = _topics_context(conn, user, period, within, hide, show_muted)
        return context | _one(context, topic)

    return _page(request, site, user, "topics.html", build)


def _mutes(request: Request, site: Site, user: User | None) -> Hide | None:
    """What the reader's mutes hide (counted even when shown, to say so)."""
    if user is None:
        return None
    from paperfeed.web.library import hide_for  # the For you stack loads on first use

    return hide_for(request, site, user, False)


def _topics_context(
    conn: Connection,
    user: User | None,
    period: Period,
    within: tuple[str, ...],
    hide: Hide | None,
    show_muted: bool,
) -> dict[str, object]:
    held = views.category_members(within)
    listed = papers_between(conn, period.start, period.end, 0, MOST_PAPERS, False, held)
    cards = views.cards(conn, listed.ids, user)
    hidden = hide(conn, [c.paper.id for c in cards]) if hide is not None else set()
    vectors = _vectors(conn, [c.paper.id for c in cards])
    placed = [c for c in cards if c.paper.id in vectors]
    matrix = np.vstack([vectors[c.paper.id] for c in placed]) if placed else np.zeros((0, 1))
    found = find_topics([c.paper.title for c in placed], [c.paper.abstract for c in placed], matrix)

    def shown(group: Sequence[views.Card]) -> list[views.Card]:
        return [c for c in group if show_muted or c.paper.id not in hidden]

    groups = [TopicGroup(t.label, shown([placed[i] for i in t.members])) for t in found]
    nav = {
        k: _topics_path_of(v) + views.category_query(within)
        if isinstance(v, str) and k.endswith("_path")
        else v
        for k, v in _day_nav(conn, period, held).items()
    }
    return {
        "period": period,
        "within": within,
        "topics": [g for g in groups if g.cards],
        "waiting": shown([c for c in cards if c.paper.id not in vectors]),
        "total": listed.total,
        "read": len(cards),
        "shown_most": SHOWN,
        "list_path": period.path + views.category_query(within),
        "topics_path": _topics_path(period),
        **nav,
        **_muted(len(hidden), show_muted),
    }


def _one(context: dict[str, object], topic: int | None) -> dict[str, object]:
    """The page of one topic (`topic`: its place in the index), or the overview (None)."""
    found = context["topics"]
    assert isinstance(found, list)
    if topic is None:
        return {"one": None, "listed_most": LISTED}
    if topic > len(found):
        held = f"{len(found)} topic{'' if len(found) == 1 else 's'}"
        raise HTTPException(404, f"there is no topic {topic} here: this page has {held}")
    return {"one": topic, "listed_most": None}


def _vectors(conn: Connection, ids: list[str]) -> dict[str, Any]:
    contract = vector_contract(conn)
    return get_vectors(conn, contract[0], ids, contract[1]) if contract and ids else {}


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
