"""What a daily page or For you tells a signed-in reader of the papers listed since their
previous visit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Query
from sqlalchemy import Connection

from paperfeed.store.accounts import User
from paperfeed.store.listings import Hide, Page, count_listed_since, papers_between
from paperfeed.store.visits import listed_since
from paperfeed.web.periods import Period
from paperfeed.web.views import reader_page

# Only the papers new since the signed-in reader's previous visit (1), or all of them (0).
NewOnly = Annotated[int, Query(ge=0, le=1, description="1: only papers new since your last visit")]


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


def new_in_ranking(
    conn: Connection, user: User, ids: Sequence[str], only: bool
) -> tuple[NewSince | None, list[str]]:
    """Of a ranked list's papers, how many are new to the reader since their previous visit
    (None on a first visit), and the ids a page lists: only those, in rank order, when `only`
    (and the reader has a previous visit), else all."""
    since = user.previous_visit
    if since is None:
        return None, list(ids)
    new = listed_since(conn, ids, since)
    return NewSince(len(new), since, only), [i for i in ids if i in new or not only]
