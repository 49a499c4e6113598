"""Comments: writing them, reading a paper's thread and a user's, counting them, upvoting them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, delete, exists, func, select, update
from sqlalchemy.exc import IntegrityError

from paperfeed.store.accounts import bump_revision, lock_revision, users
from paperfeed.store.community.tables import comment_votes, comments, profiles
from paperfeed.store.sql import in_list
from paperfeed.util import utcnow


@dataclass(frozen=True)
class Comment:
    """One comment as a thread shows it."""

    id: int
    paper_id: str
    username: str
    user_id: int
    user_created: datetime
    parent_id: int | None
    body: str
    created_at: datetime
    edited_at: datetime | None
    deleted: bool
    hidden: bool
    votes: int
    mentions: tuple[str, ...] = ()  # the accounts its "@name"s name
    display_name: str = ""  # its author's, shown beside the handle ("" when suspended)
    author_deleted: bool = False  # written by an account since deleted: shown unnamed
    held: bool = False  # awaiting a moderator's review: its author and moderators see it
    answered_id: int | None = None  # a reply to a reply: the reply it answered


class CommentError(ValueError):
    """A comment action that cannot be done, with the reason."""


# Only accounts in good standing count: a suspended account's votes and comments leave the
# site while it is suspended, and come back when the suspension is lifted.
_ACTIVE_IDS = select(users.c.id).where(users.c.suspended_at.is_(None))
_VOTES = (
    select(comment_votes.c.comment_id, func.count().label("n"))
    .where(comment_votes.c.user_id.in_(_ACTIVE_IDS))
    .group_by(comment_votes.c.comment_id)
    .subquery()
)


def _comment_query() -> Select[Any]:
    return (
        select(
            comments,
            users.c.username,
            users.c.created_at.label("user_created"),
            users.c.suspended_at.label("author_suspended_at"),
            users.c.deleted_at.label("author_deleted_at"),
            func.coalesce(_VOTES.c.n, 0).label("votes"),
            profiles.c.display_name,
        )
        .join(users, users.c.id == comments.c.user_id)
        .outerjoin(_VOTES, _VOTES.c.comment_id == comments.c.id)
        .outerjoin(profiles, profiles.c.user_id == comments.c.user_id)
    )


def _comment(row: object) -> Comment:
    r = row._mapping  # type: ignore[attr-defined]
    return Comment(
        id=r["id"],
        paper_id=r["paper_id"],
        username=r["username"],
        user_id=r["user_id"],
        user_created=r["user_created"],
        parent_id=r["parent_id"],
        body=r["body"],
        created_at=r["created_at"],
        edited_at=r["edited_at"],
        deleted=bool(r["deleted"]),
        hidden=bool(r["hidden"]) or r["author_suspended_at"] is not None,
        votes=int(r["votes"]),
        mentions=tuple(str(r["mentions"] or "").split()),
        display_name="" if r["author_suspended_at"] else str(r["display_name"] or ""),
        author_deleted=r["author_deleted_at"] is not None,
        held=bool(r["held"]),
        answered_id=r["answered_id"],
    )


def get_comment(conn: Connection, comment_id: int) -> Comment | None:
    """One comment by id."""
    row = conn.execute(_comment_query().where(comments.c.id == comment_id)).first()
    return _comment(row) if row else None


def shown_comment() -> ColumnElement[bool]:
    """A comment readers see: not hidden by a moderator nor held for one, by an account not
    suspended."""
    # NOT EXISTS of a suspended author rather than IN the active ones (see `counted_vote`)
    author = users.alias("author")
    suspended = exists().where(
        author.c.id == comments.c.user_id, author.c.suspended_at.is_not(None)
    )
    return and_(comments.c.hidden.is_(False), comments.c.held.is_(False), ~suspended)


def thread(conn: Connection, paper_id: str, include_hidden: bool = False) -> list[Comment]:
    """Every comment on a paper, oldest first (hidden ones only for moderators)."""
    query = _comment_query().where(comments.c.paper_id == paper_id)
    if not include_hidden:
        query = query.where(shown_comment())
    return [_comment(r) for r in conn.execute(query.order_by(comments.c.id))]


def recent_comments(conn: Connection, limit: int, offset: int = 0) -> list[Comment]:
    """The newest visible, undeleted comments across all papers."""
    query = (
        _comment_query()
        .where(shown_comment(), comments.c.deleted.is_(False))
        .order_by(comments.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [_comment(r) for r in conn.execute(query)]


def user_comments(
    conn: Connection, user_id: int, limit: int = 50, moderator: bool = False
) -> list[Comment]:
    """A user's newest visible comments (for a `moderator`, those a suspension took off the
    site too, to review them)."""
    shown = comments.c.hidden.is_(False) if moderator else shown_comment()
    query = (
        _comment_query()
        .where(comments.c.user_id == user_id, shown, comments.c.deleted.is_(False))
        .order_by(comments.c.id.desc())
        .limit(limit)
    )
    return [_comment(r) for r in conn.execute(query)]


def comment_counts(conn: Connection, paper_ids: Sequence[str]) -> dict[str, int]:
    """Visible, undeleted comments per paper."""
    if not paper_ids:
        return {}
    query = (
        select(comments.c.paper_id, func.count())
        .where(
            comments.c.paper_id.in_(list(paper_ids)),
            shown_comment(),
            comments.c.deleted.is_(False),
        )
        .group_by(comments.c.paper_id)
    )
    return {pid: int(n) for pid, n in conn.execute(query)}


def add_comment(
    conn: Connection,
    paper_id: str,
    user_id: int,
    body: str,
    parent_id: int | None,
    named: Sequence[str] = (),
    held: bool = False,
) -> int:
    """Store a comment (a reply attaches to a top-level comment); returns its id. `named`: the
    accounts its "@name"s name; `held`: waiting for a moderator's review."""
    answered: int | None = None  # a reply to a reply: that reply
    if parent_id is not None:
        parent = get_comment(conn, parent_id)
        unseen = parent is not None and parent.held and parent.user_id != user_id
        if parent is None or parent.paper_id != paper_id or parent.hidden or unseen:
            raise CommentError(f"there is no comment {parent_id} on this paper to reply to")
        if parent.deleted:
            raise CommentError("that comment was deleted; it takes no new replies")
        answered = parent.id if parent.parent_id else None
        parent_id = parent.parent_id or parent.id  # one level of replies
    values = {
        "paper_id": paper_id,
        "user_id": user_id,
        "parent_id": parent_id,
        "body": body,
        "created_at": utcnow(),
        "deleted": False,
        "hidden": False,
        "held": held,
        "mentions": " ".join(named),
        "answered_id": answered,
    }
    new_id = conn.execute(comments.insert().values(**values)).inserted_primary_key[0]  # type: ignore[index]
    bump_revision(conn)
    return int(new_id)


def resent_comment(
    conn: Connection, paper_id: str, user_id: int, body: str, parent_id: int | None, since: datetime
) -> int | None:
    """The same comment (text, paper, place) this user posted since `since`, not deleted: a
    resend of a post whose answer a slow or dropped connection lost; None when there is none.
    Takes the community write lock first, so that two sends at once are checked in turn."""
    # SQLite's write lock, PostgreSQL's row lock, held until commit; a resend changes nothing
    # (bumping the revision here let a resend loop, not rate limited, empty every page cache)
    lock_revision(conn)
    top, answered = parent_id, None
    if parent_id is not None:  # where add_comment puts a reply (one level of replies)
        parent = get_comment(conn, parent_id)
        if parent is None:
            return None
        top, answered = parent.parent_id or parent.id, parent.id if parent.parent_id else None
    c = comments.c
    query = select(c.id).where(
        c.paper_id == paper_id,
        c.user_id == user_id,
        c.body == body,
        c.deleted.is_(False),
        c.created_at >= since,
        c.parent_id.is_not_distinct_from(top),
        c.answered_id.is_not_distinct_from(answered),
    )
    found = conn.execute(query.order_by(c.id.desc()).limit(1)).scalar()
    return None if found is None else int(found)


def edit_comment(
    conn: Connection, comment_id: int, body: str, named: Sequence[str] = (), held: bool = False
) -> None:
    """Replace a comment's text (and the accounts it names) and mark it edited; `held`: it
    waits for a moderator's review (again)."""
    query = update(comments).where(comments.c.id == comment_id, comments.c.deleted.is_(False))
    now = utcnow()
    conn.execute(query.values(body=body, edited_at=now, mentions=" ".join(named), held=held))
    bump_revision(conn)


def set_comment_vote(conn: Connection, user_id: int, comment_id: int, up: bool) -> int:
    """Set or clear a user's upvote on a comment (idempotent); returns the comment's votes."""
    key = and_(comment_votes.c.user_id == user_id, comment_votes.c.comment_id == comment_id)
    if up:
        exists = conn.execute(select(comment_votes.c.user_id).where(key)).first()
        if exists is None:
            try:
                with conn.begin_nested():
                    conn.execute(
                        comment_votes.insert().values(
                            user_id=user_id, comment_id=comment_id, created_at=utcnow()
                        )
                    )
            except IntegrityError:
                pass  # a parallel identical vote won
    else:
        conn.execute(delete(comment_votes).where(key))
    bump_revision(conn)
    query = select(func.count()).where(comment_votes.c.comment_id == comment_id)
    return int(conn.execute(query).scalar_one())


def voted_comments(conn: Connection, user_id: int, ids: Sequence[int]) -> set[int]:
    """Which of the comments the user upvoted."""
    if not ids:
        return set()
    # One array parameter: a thread of 1,500 comments as 1,500 bound values took PostgreSQL
    # 10-25 ms to parse and plan on every view.
    listed = in_list(comment_votes.c.comment_id, conn.dialect.name, values=list(ids))
    query = select(comment_votes.c.comment_id).where(comment_votes.c.user_id == user_id, listed)
    return set(conn.scalars(query))


def comment_times_since(conn: Connection, user_id: int, since: datetime) -> list[datetime]:
    """When a user wrote each comment since a moment, oldest first (for rate limits)."""
    query = (
        select(comments.c.created_at)
        .where(comments.c.user_id == user_id, comments.c.created_at >= since)
        .order_by(comments.c.created_at)
    )
    return list(conn.execute(query).scalars())
