"""Upvotes and submissions: who upvoted which paper, and who put it on which day's page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Connection, case, delete, exists, func, literal, select
from sqlalchemy.exc import IntegrityError

from paperfeed.store.accounts.members import DELETED_NAME
from paperfeed.store.accounts.site import bump_revision
from paperfeed.store.accounts.tables import submissions, users, votes
from paperfeed.util import utcnow


@dataclass(frozen=True)
class Submission:
    """Who put a paper on which day's page."""

    paper_id: str
    username: str
    day: date


def set_vote(conn: Connection, user_id: int, paper_id: str, up: bool) -> bool:
    """Add or remove one user's upvote; True when anything changed."""
    where = (votes.c.user_id == user_id) & (votes.c.paper_id == paper_id)
    exists = conn.execute(select(votes.c.user_id).where(where)).first() is not None
    if exists == up:
        return False
    if up:
        try:  # the same user voting twice at once: the second insert finds the first
            with conn.begin_nested():
                row = {"user_id": user_id, "paper_id": paper_id, "created_at": utcnow()}
                conn.execute(votes.insert().values(**row))
        except IntegrityError:
            return False
    else:
        conn.execute(delete(votes).where(where))
    bump_revision(conn)
    return True


def counted_vote() -> ColumnElement[bool]:
    """An upvote that counts: one by an account not suspended (a suspended account's votes
    leave every count and trending while it is suspended, and return when it is lifted)."""
    # Not `user_id IN (active ids)`: PostgreSQL, guessing few active accounts, looped over every
    # account and read its votes; this looks up the voter of each vote it counts.
    voter = users.alias("voter")
    barred = voter.c.suspended_at.is_not(None) | voter.c.deleted_at.is_not(None)
    return ~exists().where(voter.c.id == votes.c.user_id, barred)


def vote_counts(conn: Connection, ids: Sequence[str]) -> dict[str, int]:
    """Site upvotes per paper id (papers without votes are absent)."""
    if not ids:
        return {}
    query = (
        select(votes.c.paper_id, func.count())
        .where(votes.c.paper_id.in_(list(ids)), counted_vote())
        .group_by(votes.c.paper_id)
    )
    return {pid: int(n) for pid, n in conn.execute(query)}


def voted_by(conn: Connection, user_id: int, ids: Sequence[str]) -> set[str]:
    """The ids among `ids` that the user has upvoted."""
    if not ids:
        return set()
    query = select(votes.c.paper_id).where(
        votes.c.user_id == user_id, votes.c.paper_id.in_(list(ids))
    )
    return set(conn.scalars(query))


def add_submission(conn: Connection, paper_id: str, user_id: int, day: date) -> None:
    """Credit a paper to the user who submitted it, on the given day's page."""
    row = {"paper_id": paper_id, "user_id": user_id, "day": day, "created_at": utcnow()}
    conn.execute(submissions.insert().values(**row))
    bump_revision(conn)


def submitter_name() -> ColumnElement[str]:
    """The name a submission is credited to (over `users`): a suspended account's, like a
    deleted one's, is DELETED_NAME while it is suspended, so the site does not show it."""
    hidden = users.c.suspended_at.is_not(None)
    return case((hidden, literal(DELETED_NAME)), else_=users.c.username).label("username")


def get_submissions(conn: Connection, ids: Sequence[str]) -> dict[str, Submission]:
    """Submissions of the given papers, by paper id."""
    if not ids:
        return {}
    query = (
        select(submissions.c.paper_id, submitter_name(), submissions.c.day)
        .join(users, users.c.id == submissions.c.user_id)
        .where(submissions.c.paper_id.in_(list(ids)))
    )
    return {r.paper_id: Submission(r.paper_id, r.username, r.day) for r in conn.execute(query)}
