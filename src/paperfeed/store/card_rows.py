"""Everything a set of cards needs besides the papers themselves, in one query.

A card shows the paper (cached by its `changed_at`), its flags, upvotes, comment count, who
submitted it, whether the reader upvoted it, and the repository/Hub facts (cached per site
revision). One statement reads all the parts that change often, so a page of cards costs one
round trip when the papers are cached.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    Subquery,
    Table,
    bindparam,
    func,
    literal,
    select,
)

from paperfeed.store.accounts import (
    Submission,
    counted_vote,
    site_state,
    submissions,
    submitter_name,
    users,
    votes,
)
from paperfeed.store.community import comments, shown_comment
from paperfeed.store.sql import in_list
from paperfeed.store.tables import papers


@dataclass(frozen=True)
class CardRow:
    """One paper's changing card data, read fresh on every view."""

    id: str
    changed_at: datetime
    hidden: bool
    featured: bool
    upvotes: int  # site votes only (imported votes are on the paper)
    comments: int
    submission: Submission | None
    upvoted: bool  # by the reader asking; False for anonymous readers


@dataclass(frozen=True)
class CardRows:
    """Card rows by paper id (ids not in the store are absent), and the site revision."""

    revision: int
    rows: dict[str, CardRow]


_REVISION = select(site_state.c.value).where(site_state.c.key == "revision").scalar_subquery()


def _per_paper(table: Table, shown: ColumnElement[bool], dialect: str) -> Subquery:
    """The asked papers' rows of `table` counted in one pass (not one count per paper)."""
    return (
        select(table.c.paper_id, func.count().label("n"))
        .where(in_list(table.c.paper_id, dialect), shown)
        .group_by(table.c.paper_id)
        .subquery()
    )


@cache
def _rows_query(dialect: str, reader: bool) -> Select[Any]:
    """Built once per dialect: this runs for every set of cards.

    Upvotes and comments are counted by grouped subqueries over the asked ids and joined, and
    the reader's own votes joined: as correlated subqueries PostgreSQL ran each per paper, and
    without fresh statistics on users looped over every account inside each (25-50 ms for a
    collection's 100 cards).
    """
    upvotes = _per_paper(votes, counted_vote(), dialect)
    shown = _per_paper(comments, shown_comment() & comments.c.deleted.is_(False), dialect)
    mine = votes.alias("mine")
    joined = (
        papers.outerjoin(submissions, submissions.c.paper_id == papers.c.id)
        .outerjoin(users, users.c.id == submissions.c.user_id)
        .outerjoin(upvotes, upvotes.c.paper_id == papers.c.id)
        .outerjoin(shown, shown.c.paper_id == papers.c.id)
    )
    upvoted: ColumnElement[bool] = literal(False)
    if reader:
        on_mine = (mine.c.paper_id == papers.c.id) & (mine.c.user_id == bindparam("user_id"))
        joined = joined.outerjoin(mine, on_mine)
        upvoted = mine.c.user_id.is_not(None)
    return (
        select(
            papers.c.id,
            papers.c.changed_at,
            papers.c.hidden,
            papers.c.featured,
            func.coalesce(upvotes.c.n, 0).label("upvotes"),
            func.coalesce(shown.c.n, 0).label("comments"),
            submitter_name(),
            submissions.c.day,
            upvoted.label("mine"),
            _REVISION.label("revision"),
        )
        .select_from(joined)
        .where(in_list(papers.c.id, dialect))
    )


def card_rows(conn: Connection, ids: Sequence[str], user_id: int | None) -> CardRows:
    """The changing card data of the given papers, and the revision it was read at."""
    rows: Sequence[Row[Any]] = ()
    if ids:
        params: dict[str, object] = {"ids": list(dict.fromkeys(ids))}
        if user_id is not None:
            params["user_id"] = user_id
        query = _rows_query(conn.dialect.name, user_id is not None)
        rows = conn.execute(query, params).all()
    if not rows:
        return CardRows(int(conn.execute(select(_REVISION)).scalar_one()), {})
    found = {
        r.id: CardRow(
            id=r.id,
            changed_at=r.changed_at,
            hidden=bool(r.hidden),
            featured=bool(r.featured),
            upvotes=int(r.upvotes),
            comments=int(r.comments),
            submission=Submission(r.id, r.username, r.day) if r.username is not None else None,
            upvoted=bool(r.mine),
        )
        for r in rows
    }
    return CardRows(int(rows[0].revision), found)
