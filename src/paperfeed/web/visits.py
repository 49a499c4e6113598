"""What a daily page tells a signed-in reader of the papers listed since their previous visit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from paperfeed.store.accounts import User
from paperfeed.store.listings import count_listed_since
from paperfeed.web.periods import Period


@dataclass(frozen=True)
class NewSince:
    """How many of a period's papers are new to the reader, since when, and whether the page
    lists only those (`?new=1`)."""

    count: int
    since: datetime
    only: bool


def new_since(
    conn: Connection, user: User | None, period: Period, held: tuple[str, ...], only: bool
) -> NewSince | None:
    """The period's papers (in the categories `held`, where given) new to a signed-in reader
    since their previous visit; None for anonymous visitors and on a reader's first visit."""
    since = user.previous_visit if user is not None else None
    if since is None:
        return None
    return NewSince(count_listed_since(conn, period.start, period.end, since, held), since, only)


def listed_after(user: User | None, only: bool) -> datetime | None:
    """What a daily listing asked for only new papers (`only`) keeps to: those put on their
    day after the reader's previous visit (None: every paper)."""
    return user.previous_visit if only and user is not None else None
