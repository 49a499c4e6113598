"""In-site notifications (of comments, claims, team reading lists) and who takes them by email."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, update

from paperfeed.store.accounts import users
from paperfeed.store.community.claims import _CLAIMS, Claim, _claim
from paperfeed.store.community.profile import save_profile
from paperfeed.store.community.tables import author_claims, comments, notifications, profiles
from paperfeed.store.community.threads import Comment, _comment, _comment_query
from paperfeed.store.digest_tables import subscribers
from paperfeed.util import utcnow


def notify(conn: Connection, user_ids: Sequence[int], comment_id: int, kind: str) -> None:
    """Add an in-site notification for each user (a deleted account is told nothing)."""
    now = utcnow()
    live = select(users.c.id).where(users.c.id.in_(set(user_ids)), users.c.deleted_at.is_(None))
    for uid in sorted(conn.scalars(live)):
        conn.execute(
            notifications.insert().values(
                user_id=uid, comment_id=comment_id, kind=kind, created_at=now, seen=False
            )
        )


def notified(conn: Connection, comment_id: int, kind: str) -> set[int]:
    """The users already told of this comment, as `kind` (a mention is told once per comment,
    however often edits take the name out and put it back)."""
    query = select(notifications.c.user_id).where(
        notifications.c.comment_id == comment_id, notifications.c.kind == kind
    )
    return set(conn.scalars(query))


def email_recipients(conn: Connection, user_ids: Sequence[int]) -> dict[int, dict[str, object]]:
    """Of the given users, those who take notices by email (notify_email on, not suspended),
    each with their newest confirmed linked subscription."""
    if not user_ids:
        return {}
    wanting = or_(profiles.c.user_id.is_(None), profiles.c.notify_email.is_(True))
    query = (
        select(subscribers)
        .join(users, users.c.id == subscribers.c.user_id)
        .outerjoin(profiles, profiles.c.user_id == users.c.id)
        .where(users.c.id.in_(sorted(set(user_ids))), users.c.suspended_at.is_(None))
        .where(subscribers.c.status == "confirmed", wanting)
        .order_by(subscribers.c.id)
    )
    return {int(r.user_id): dict(r._mapping) for r in conn.execute(query)}  # newest wins


def set_notify_email(conn: Connection, user_id: int, on: bool) -> None:
    """Turn a user's notices by email on or off."""
    save_profile(conn, user_id, notify_email=on)


@dataclass(frozen=True)
class ListNotice:
    """What happened to a team reading list: who did it, to the list named `name` then."""

    collection_id: int
    name: str
    who: str
    who_display: str
    papers: int  # how many they put in it (list_added) or wrote notes on (list_notes)
    at: datetime
    who_deleted: bool = False  # their account deleted since: `who` is DELETED_NAME, no profile


@dataclass(frozen=True)
class Notification:
    """What a user is told: a comment (a reply, one on their paper), a decided claim or what
    happened to a team reading list."""

    kind: str
    seen: bool
    comment: Comment | None
    claim: Claim | None
    team: ListNotice | None = None
    papers: int = 0  # a claim decided with others in one batch: how many (the claim the first)


def user_notifications(conn: Connection, user_id: int, limit: int = 50) -> list[Notification]:
    """A user's newest notifications (those about hidden or deleted comments left out)."""
    query = (
        select(
            notifications.c.kind,
            notifications.c.seen,
            notifications.c.comment_id,
            notifications.c.claim_id,
            notifications.c.collection_id,
            notifications.c.subject,
            notifications.c.papers,
            notifications.c.created_at,
            users.c.username,
            users.c.deleted_at,
            profiles.c.display_name,
        )
        .outerjoin(users, users.c.id == notifications.c.actor_id)
        .outerjoin(profiles, profiles.c.user_id == notifications.c.actor_id)
        .where(notifications.c.user_id == user_id)
        .order_by(notifications.c.created_at.desc(), notifications.c.id.desc())
        .limit(limit)
    )
    rows = conn.execute(query).all()
    teams = {i: _list_notice(r) for i, r in enumerate(rows) if r.collection_id is not None}
    claim_ids = sorted({int(r.claim_id) for r in rows if r.claim_id is not None})
    claims = {}
    if claim_ids:
        found_claims = conn.execute(_CLAIMS.where(author_claims.c.id.in_(claim_ids)))
        claims = {c.id: c for c in map(_claim, found_claims)}
    comment_ids = sorted({int(r.comment_id) for r in rows if r.comment_id is not None})
    by_id = {}
    if comment_ids:
        found_comments = conn.execute(_comment_query().where(comments.c.id.in_(comment_ids)))
        by_id = {c.id: c for c in map(_comment, found_comments)}
    found = []
    for i, (kind, seen, cid, claim_id, *_) in enumerate(rows):
        if i in teams:
            found.append(Notification(str(kind), bool(seen), None, None, teams[i]))
            continue
        if claim_id is not None:
            if claim_id in claims:
                claim, batch = claims[claim_id], int(rows[i].papers)  # 0 but for a batch
                found.append(Notification(str(kind), bool(seen), None, claim, None, batch))
            continue
        comment = by_id.get(cid)
        if comment is not None and not (comment.hidden or comment.held or comment.deleted):
            found.append(Notification(str(kind), bool(seen), comment, None))
    return found


def _list_notice(row: Any) -> ListNotice:
    who, display, gone = row.username or "", row.display_name or "", row.deleted_at is not None
    return ListNotice(
        row.collection_id, row.subject, who, display, row.papers, row.created_at, gone
    )


def unseen_count(conn: Connection, user_id: int) -> int:
    """Notifications the user has not opened yet (as `user_notifications` shows them: those
    about a hidden, held or deleted comment left out)."""
    query = (
        select(func.count())
        .select_from(notifications)
        .outerjoin(comments, comments.c.id == notifications.c.comment_id)
        .where(notifications.c.user_id == user_id, notifications.c.seen.is_(False))
        .where(
            or_(
                notifications.c.comment_id.is_(None),
                and_(
                    comments.c.hidden.is_(False),
                    comments.c.held.is_(False),
                    comments.c.deleted.is_(False),
                ),
            )
        )
    )
    return int(conn.execute(query).scalar_one())


def mark_seen(conn: Connection, user_id: int) -> None:
    """Mark every notification of the user seen."""
    conn.execute(update(notifications).where(notifications.c.user_id == user_id).values(seen=True))
