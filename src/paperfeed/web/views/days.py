"""A day's, week's or month's papers and the category filter of daily listings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlencode

from fastapi import HTTPException
from sqlalchemy import Connection

from paperfeed import categories
from paperfeed.store.accounts import User
from paperfeed.store.listings import Hide, Page, papers_between
from paperfeed.web.periods import Period
from paperfeed.web.views.assembly import cards
from paperfeed.web.views.common import Listing, check_page, reader_page


def daily(
    conn: Connection,
    period: Period,
    page: int,
    per_page: int,
    user: User | None,
    hide: Hide | None = None,
    newest: bool = False,
    within: Sequence[str] = (),
    since: datetime | None = None,
) -> Listing:
    """The papers of a day, week or month (in one of the categories `within`, where given;
    put on their day after `since`, where given), featured then most upvoted first (or newest
    first: the latest day first, each day's newest arXiv ids first)."""

    held = category_members(within)

    def fetch(offset: int, limit: int) -> Page:
        return papers_between(conn, period.start, period.end, offset, limit, newest, held, since)

    result = reader_page(conn, fetch, hide, page, per_page)
    check_page(page, result.total, per_page)
    return Listing(
        title=f"Daily papers · {period.heading}" + (f" · {', '.join(within)}" if within else ""),
        cards=cards(conn, result.ids, user),
        total=result.total,
        page=page,
        per_page=per_page,
        page_path=period.path,
        feed_path="/feeds/daily",
        feed_query=f"?{period.kind}={period.slug}" + category_query(within, "&"),
        extra={"period": period, "within": tuple(within)},
        hidden=result.hidden,
        estimated=not result.exact,
    )


DAILY_CATEGORIES_MOST = 20  # categories one daily listing's filter may name


def daily_categories(given: Sequence[str]) -> tuple[str, ...]:
    """The categories a daily listing's `category=` names (repeated or comma-separated, any
    case; an archive such as cs or cond-mat), as arXiv spells them, each once; a 400 saying
    what was meant for a name that is no category."""
    names = [n.strip() for value in given for n in value.split(",") if n.strip()]
    if len(names) > DAILY_CATEGORIES_MOST:
        raise HTTPException(400, f"category: give at most {DAILY_CATEGORIES_MOST} categories")
    out: list[str] = []
    for name in names:
        try:
            out.append(categories.archive(name) or categories.checked(name))
        except ValueError as exc:
            raise HTTPException(400, f"category: {exc}") from exc
    return tuple(dict.fromkeys(out))


def category_members(named: Sequence[str]) -> tuple[str, ...]:
    """The categories papers are looked up under for these names (an archive: all of its)."""
    return tuple(dict.fromkeys(m for name in named for m in categories.members(name)))


def category_query(within: Sequence[str], lead: str = "?") -> str:
    """The `category=` a daily listing's links carry for its category filter ("" for none)."""
    return f"{lead}{urlencode({'category': ','.join(within)})}" if within else ""
