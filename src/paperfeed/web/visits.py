"""What a daily page tells a signed-in reader of the papers listed since their previous visit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from paperfeed.store.accounts import User
from paperfeed.store.listings import Hide, Page, count_listed_since, papers_between
from paperfeed.web.periods import Period
from paperfeed.web.views import reader_page


@dataclass(frozen=True)
class NewSince:
    """How many of a period's papers are new to the reader, since when, and whether the page
    lists only those (`?new=1`)."""

    count: int
    since: datetime
    only: bool


def new_since(
    conn: Connection,
    user: User | None,
    period: Period,
    held: tuple[str, ...],
    only: bool,
    hide: Hide | None = None,
) -> NewSince | None:
    """The period's papers (in the categories `held`, where given) new to a signed-in reader
    since their previous visit, less those the reader's mutes leave out (`hide`), as "Show
    only new" lists them; None for anonymous visitors and on a reader's first visit."""
    since = user.previous_visit if user is not None else None
    if since is None:
        return None
    if hide is None:
        return NewSince(
            count_listed_since(conn, period.start, period.end, since, held), since, only
        )

    def fetch(offset: int, limit: int) -> Page:
        return papers_between(conn, period.start, period.end, offset, limit, False, held, since)

    return NewSince(reader_page(conn, fetch, hide, 1, 1).total, since, only)


def listed_after(user: User | None, only: bool) -> datetime | None:
    """What a daily listing asked for only new papers (`only`) keeps to: those put on their
    day after the reader's previous visit (None: every paper)."""
    return user.previous_visit if only and user is not None else None
