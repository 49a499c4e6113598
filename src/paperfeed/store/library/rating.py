"""Ratings: 👍 and 👎 on papers, listed and cleared."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, select, update

from paperfeed.store.library.signals import bump_signals
from paperfeed.store.library.tables import LibraryError, _added, _added_many, ratings
from paperfeed.store.sql import in_list
from paperfeed.util import utcnow


def set_rating(conn: Connection, user_id: int, paper_id: str, rating: int | None) -> None:
    """Rate a paper +1 (more like this) or -1 (less like this); None clears the rating."""
    if rating not in (1, -1, None):
        raise LibraryError("a rating is 1 or -1")
    where = (ratings.c.user_id == user_id) & (ratings.c.paper_id == paper_id)
    conn.execute(delete(ratings).where(where))
    if rating is not None:  # a rating sent twice at once: the one that comes second stands
        row = {"user_id": user_id, "paper_id": paper_id, "rating": rating, "created_at": utcnow()}
        _added(conn, ratings, row)
        conn.execute(
            update(ratings).where(where).values(rating=rating, created_at=row["created_at"])
        )
    bump_signals(conn, user_id)


def user_ratings(
    conn: Connection, user_id: int, ids: Sequence[str] | None = None
) -> dict[str, int]:
    """The user's ratings by paper id (among `ids` when given)."""
    query = select(ratings.c.paper_id, ratings.c.rating).where(ratings.c.user_id == user_id)
    if ids is not None:
        query = query.where(in_list(ratings.c.paper_id, conn.dialect.name, values=list(ids)))
    return {pid: int(r) for pid, r in conn.execute(query)}


def add_ratings(conn: Connection, user_id: int, rated: dict[str, int]) -> dict[str, int]:
    """Rate many papers at once (an import), leaving any the user has rated already as they
    are: the ratings added, by paper id."""
    if any(r not in (1, -1) for r in rated.values()):
        raise LibraryError("a rating is 1 or -1")
    had = user_ratings(conn, user_id, list(rated))
    new = {pid: r for pid, r in rated.items() if pid not in had}
    now = utcnow()
    rows = [
        {"user_id": user_id, "paper_id": p, "rating": r, "created_at": now} for p, r in new.items()
    ]
    if _added_many(conn, ratings, rows):
        bump_signals(conn, user_id)
    return new


@dataclass(frozen=True)
class Rating:
    """One paper the user rated: 1 (more like this) or -1 (less like this), and when."""

    paper_id: str
    rating: int
    rated_at: datetime


def list_ratings(conn: Connection, user_id: int, limit: int | None = None) -> list[Rating]:
    """The user's ratings, newest first (the newest `limit` when given)."""
    query = select(ratings).where(ratings.c.user_id == user_id)
    query = query.order_by(ratings.c.created_at.desc(), ratings.c.paper_id).limit(limit)
    return [Rating(r.paper_id, int(r.rating), r.created_at) for r in conn.execute(query)]


def clear_ratings(conn: Connection, user_id: int) -> int:
    """Forget all of the user's ratings (the model's reset); returns how many."""
    gone = conn.execute(delete(ratings).where(ratings.c.user_id == user_id)).rowcount
    bump_signals(conn, user_id)
    return int(gone or 0)
