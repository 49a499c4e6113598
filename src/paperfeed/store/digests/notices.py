"""Notices and account mails in the outbox: their periods, and dropping those no longer due."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, select

from paperfeed.store.digest_tables import outbox, subscribers
from paperfeed.store.digests.delivery import _drop
from paperfeed.util import utcnow

NOTICE_KIND = "notice"


def notice_period(comment_id: int) -> str:
    """The outbox period of a community notice: one per subscription and comment, and never
    the shape of a digest period (daily:DATE, weekly:YYYY-Www)."""
    return f"comment:{comment_id}"


def claim_period(claim_id: int, status: str) -> str:
    """The outbox period of the email telling a claim's decision: one per claim and outcome."""
    return f"claim:{claim_id}:{status}"


def team_period(notification_id: int) -> str:
    """The outbox period of the email telling a team-list notice: one per notice, so one a day
    per list and editor of the papers put in (the day's notice counts them up)."""
    return f"list:{notification_id}"


def offer_period(collection_id: int, day: date) -> str:
    """The outbox period of the email telling an editor a list is offered to them: one a day
    per list and editor, however often it is offered again that day."""
    return f"offer:{collection_id}:{day.isoformat()}"


def drop_comment_notices(conn: Connection, comment_id: int, reason: str) -> int:
    """Drop unsent notices about a comment (hidden or deleted since); returns how many."""
    period = outbox.c.period == notice_period(comment_id)
    return _drop(conn, reason, outbox.c.kind == NOTICE_KIND, period)


def drop_user_notices(conn: Connection, user_id: int, reason: str) -> int:
    """Drop unsent notices to a user (suspended since), retries included; returns how many."""
    theirs = select(subscribers.c.id).where(subscribers.c.user_id == user_id).scalar_subquery()
    return _drop(conn, reason, outbox.c.kind == NOTICE_KIND, outbox.c.subscriber_id.in_(theirs))


def keep_account_mail(conn: Connection, recipient: str, message_id: str, message: str) -> None:
    """Keep an account mail (a set-password or confirmation link) as sent, in the demo's
    mailbox: it belongs to no subscriber and is never delivered."""
    now = utcnow()
    values: dict[str, object] = {"subscriber_id": None, "kind": ACCOUNT_KIND, "status": "sent"}
    values |= {"period": message_id[:40], "recipient": recipient, "message_id": message_id}
    values |= {"message": message, "attempts": 1, "next_attempt_at": now}
    conn.execute(outbox.insert().values(**values, created_at=now, sent_at=now))


ACCOUNT_KIND = "account"
