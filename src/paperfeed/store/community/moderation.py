"""Moderating comments: reports and their queue, hiding, holding for review and deleting."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, func, select, update
from sqlalchemy.exc import IntegrityError

from paperfeed.store.accounts import bump_revision, users
from paperfeed.store.community.tables import comment_reports, comments
from paperfeed.store.community.threads import _ACTIVE_IDS, Comment, _comment, _comment_query
from paperfeed.store.digests import drop_comment_notices
from paperfeed.store.reactions import drop_reactions
from paperfeed.util import utcnow


def hidden_comments(conn: Connection, limit: int = 50) -> list[Comment]:
    """The newest comments moderators hid (and did not delete), for a second look."""
    query = (
        _comment_query()
        .where(comments.c.hidden.is_(True), comments.c.deleted.is_(False))
        .order_by(comments.c.id.desc())
        .limit(limit)
    )
    return [_comment(r) for r in conn.execute(query)]


def held_comments(conn: Connection, limit: int = 50) -> list[Comment]:
    """Comments waiting for a moderator's review (not deleted), the longest waiting first."""
    query = (
        _comment_query()
        .where(comments.c.held.is_(True), comments.c.deleted.is_(False))
        .order_by(comments.c.id)
        .limit(limit)
    )
    return [_comment(r) for r in conn.execute(query)]


def held_among(conn: Connection, ids: Collection[int]) -> list[Comment]:
    """Those of `ids` still held for review (not deleted), in id order."""
    query = _comment_query().where(
        comments.c.id.in_(list(ids)), comments.c.held.is_(True), comments.c.deleted.is_(False)
    )
    return [_comment(r) for r in conn.execute(query.order_by(comments.c.id))]


def set_comment_held(conn: Connection, comment_id: int, held: bool) -> None:
    """Hold a comment for review, or release it to every reader."""
    conn.execute(update(comments).where(comments.c.id == comment_id).values(held=held))
    bump_revision(conn)


def is_reported(conn: Connection, comment_id: int) -> bool:
    """Whether reports on a comment wait for a moderator."""
    waiting = select(comment_reports.c.id).where(
        comment_reports.c.comment_id == comment_id, comment_reports.c.resolved.is_(False)
    )
    return conn.execute(waiting.limit(1)).first() is not None


def delete_comment(conn: Connection, comment_id: int) -> None:
    """Blank a comment (its reactions go); its replies stay readable under a "deleted"
    placeholder. While reports on it wait for a moderator, its text is kept for them (shown
    nowhere else)."""
    reported = is_reported(conn, comment_id)
    query = update(comments).where(comments.c.id == comment_id)
    conn.execute(query.values(deleted=True) if reported else query.values(deleted=True, body=""))
    drop_reactions(conn, comment_id)
    drop_comment_notices(conn, comment_id, "the comment was deleted")
    bump_revision(conn)


def set_comment_hidden(conn: Connection, comment_id: int, hidden: bool) -> None:
    """Hide (or restore) a comment everywhere; resolves its reports."""
    conn.execute(update(comments).where(comments.c.id == comment_id).values(hidden=hidden))
    reports = update(comment_reports).where(comment_reports.c.comment_id == comment_id)
    conn.execute(reports.values(resolved=True))
    _forget_deleted_text(conn, comment_id)
    if hidden:
        drop_comment_notices(conn, comment_id, "the comment was hidden")
    bump_revision(conn)


def report_comment(conn: Connection, comment_id: int, user_id: int, reason: str) -> None:
    """Record a report (one per user and comment)."""
    try:
        with conn.begin_nested():
            conn.execute(
                comment_reports.insert().values(
                    comment_id=comment_id,
                    user_id=user_id,
                    reason=reason,
                    created_at=utcnow(),
                    resolved=False,
                )
            )
    except IntegrityError:
        pass  # reported already


@dataclass(frozen=True)
class OpenReport:
    """A reported comment awaiting a moderator, with who reported it and why, oldest first."""

    comment: Comment
    reports: list[tuple[str, str]]  # (reporter, reason)


def _waiting_reports() -> Select[Any]:
    """Reported comments awaiting a moderator (by their first report), leaving out those of
    suspended accounts: off the site already, they come back with their reports if it is
    lifted. Reports by suspended accounts count neither (a suspended spammer's reports no
    longer fill the queue) and come back the same way."""
    return (
        select(comment_reports.c.comment_id, func.min(comment_reports.c.id).label("first"))
        .join(comments, comments.c.id == comment_reports.c.comment_id)
        .where(comment_reports.c.resolved.is_(False), comments.c.user_id.in_(_ACTIVE_IDS))
        .where(comment_reports.c.user_id.in_(_ACTIVE_IDS))
        .group_by(comment_reports.c.comment_id)
    )


def count_open_reports(conn: Connection) -> int:
    """How many comments `open_reports` pages through."""
    waiting = _waiting_reports().subquery()
    return int(conn.execute(select(func.count()).select_from(waiting)).scalar_one())


def open_reports(conn: Connection, limit: int = 50, offset: int = 0) -> list[OpenReport]:
    """Reported comments awaiting a moderator, the longest waiting first (a page of them)."""
    waiting = _waiting_reports().order_by("first").limit(limit).offset(offset)
    ids = [int(cid) for cid, _ in conn.execute(waiting)]
    if not ids:
        return []
    query = (
        select(comment_reports.c.comment_id, users.c.username, comment_reports.c.reason)
        .join(users, users.c.id == comment_reports.c.user_id)
        .where(comment_reports.c.resolved.is_(False), comment_reports.c.comment_id.in_(ids))
        .where(users.c.suspended_at.is_(None))
        .order_by(comment_reports.c.id)
    )
    reports: dict[int, list[tuple[str, str]]] = {}
    for cid, who, reason in conn.execute(query):
        reports.setdefault(int(cid), []).append((str(who), str(reason)))
    if not reports:
        return []
    found = conn.execute(_comment_query().where(comments.c.id.in_(list(reports))))
    by_id = {c.id: c for c in map(_comment, found)}
    return [OpenReport(by_id[cid], said) for cid, said in reports.items() if cid in by_id]


def waiting_among(conn: Connection, ids: Collection[int]) -> list[Comment]:
    """Those of `ids` still in the moderation queue (open reports, an active author), by id."""
    waiting = _waiting_reports().where(comment_reports.c.comment_id.in_(list(ids))).subquery()
    query = _comment_query().where(comments.c.id.in_(select(waiting.c.comment_id)))
    return [_comment(r) for r in conn.execute(query.order_by(comments.c.id))]


def dismiss_reports(conn: Connection, comment_id: int) -> None:
    """Mark a comment's reports handled without hiding it."""
    query = update(comment_reports).where(comment_reports.c.comment_id == comment_id)
    conn.execute(query.values(resolved=True))
    _forget_deleted_text(conn, comment_id)


def _forget_deleted_text(conn: Connection, comment_id: int) -> None:
    """A deleted comment's text, kept while reports on it waited, goes once they are handled."""
    query = update(comments).where(comments.c.id == comment_id, comments.c.deleted.is_(True))
    conn.execute(query.values(body=""))
