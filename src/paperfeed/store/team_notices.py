"""Notices about team reading lists, in the site's notifications: an editor is told a list is
offered to them, its owner that the offer was accepted or declined, a list's owner how many
papers an editor put in it and a list's members (its owner and editors) on how many of its papers
one of them wrote notes (each one notice a day per list and member, counting up while unread).

Nobody is told of their own doing, a deleted or suspended account is told nothing, and one who
turned `notify_lists` off hears nothing of papers put in or notes written. Those who take
notices by email are emailed them too (`fresh_notices` lists what to email).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, insert, select, update

from paperfeed.store.accounts import users
from paperfeed.store.community import get_profile, notifications
from paperfeed.store.library import Collection
from paperfeed.util import utcnow

_NAME = 200  # characters of the list's name a notice keeps


@dataclass(frozen=True)
class TeamNotice:
    """A team-list notice as an email tells it: `who` did `kind` to the list named `name`."""

    id: int
    user_id: int
    kind: str  # list_offer | offer_accepted | offer_declined | list_added | list_notes
    collection_id: int
    name: str
    who: str
    papers: int  # papers they put in it (list_added) or wrote notes on (list_notes) that day
    created_at: datetime  # naive UTC: when it was made (or last counted up)


def tell(conn: Connection, user_id: int, kind: str, collection: Collection, actor_id: int) -> None:
    """Tell the user that `actor_id` did `kind` (list_offer | offer_accepted | offer_declined)
    to the collection."""
    if user_id == actor_id or not _active(conn, user_id):
        return
    row = _row(user_id, kind, collection, actor_id, utcnow())
    conn.execute(insert(notifications).values(**row, papers=0, seen=False))


def tell_added(conn: Connection, collection: Collection, actor_id: int, added: int) -> None:
    """Tell the collection's owner that `actor_id` put `added` papers in it: counted into the
    day's notice of theirs about this list and editor, marked unread again."""
    owner = collection.user_id
    if added > 0 and _wants(conn, owner, actor_id):
        _count_in(conn, owner, "list_added", collection, actor_id, added)


def tell_noted(
    conn: Connection, collection: Collection, actor_id: int, members: Sequence[int], again: bool
) -> None:
    """Tell the collection's `members` (its owner and editors) that `actor_id` wrote a note on
    one of its papers: counted into each one's notice of the day about this list and writer,
    marked unread again (`again`: a paper whose note they wrote today already, not counted)."""
    for user_id in sorted(set(members)):
        if _wants(conn, user_id, actor_id):
            _count_in(conn, user_id, "list_notes", collection, actor_id, 0 if again else 1)


def noted_today(by: int | None, at: datetime | None, actor_id: int) -> bool:
    """Whether a note last written `by` a user `at` a time was written by `actor_id` today
    (UTC): their writing it again is not one more paper noted."""
    return by == actor_id and at is not None and at >= _day(utcnow())


def _wants(conn: Connection, user_id: int, actor_id: int) -> bool:
    """Whether the user hears of what `actor_id` did to their lists: not their own doing, an
    active account, `notify_lists` on."""
    if user_id == actor_id or not _active(conn, user_id):
        return False
    return get_profile(conn, user_id).notify_lists


def _count_in(
    conn: Connection, user_id: int, kind: str, collection: Collection, actor_id: int, n: int
) -> None:
    """Count `n` papers into the user's notice of the day of `kind` about this list and actor,
    marked unread again; a new notice (of one paper at least) when there is none."""
    now = utcnow()
    mine = _days_notice(conn, user_id, kind, collection.id, actor_id, now)
    if mine is not None:
        bumped = {"papers": notifications.c.papers + n, "seen": False, "created_at": now}
        where = notifications.c.id == mine
        conn.execute(update(notifications).where(where).values(**bumped))
        return
    row = _row(user_id, kind, collection, actor_id, now)
    conn.execute(insert(notifications).values(**row, papers=max(n, 1), seen=False))


def _day(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)  # the UTC day


def _days_notice(
    conn: Connection, user_id: int, kind: str, collection_id: int, actor_id: int, now: datetime
) -> int | None:
    query = select(notifications.c.id).where(
        notifications.c.user_id == user_id,
        notifications.c.kind == kind,
        notifications.c.collection_id == collection_id,
        notifications.c.actor_id == actor_id,
        notifications.c.created_at >= _day(now),
    )
    found = conn.execute(query.order_by(notifications.c.id.desc())).scalar()
    return None if found is None else int(found)


def _row(
    user_id: int, kind: str, collection: Collection, actor_id: int, now: datetime
) -> dict[str, object]:
    return {
        "user_id": user_id,
        "kind": kind,
        "collection_id": collection.id,
        "actor_id": actor_id,
        "subject": collection.name[:_NAME],
        "created_at": now,
    }


def _active(conn: Connection, user_id: int) -> bool:
    query = select(users.c.id).where(
        users.c.id == user_id, users.c.deleted_at.is_(None), users.c.suspended_at.is_(None)
    )
    return conn.execute(query).first() is not None


def fresh_notices(conn: Connection, since: datetime) -> list[TeamNotice]:
    """The team-list notices made or counted up since `since` that their reader has not seen
    yet, oldest first (those of a deleted list went with it)."""
    n, who = notifications.c, func.coalesce(users.c.username, "")  # in TeamNotice's order
    query = (
        select(n.id, n.user_id, n.kind, n.collection_id, n.subject, who, n.papers, n.created_at)
        .select_from(notifications.outerjoin(users, users.c.id == n.actor_id))
        .where(n.collection_id.is_not(None), n.seen.is_(False), n.created_at >= since)
        .order_by(n.id)
    )
    return [TeamNotice(*row) for row in conn.execute(query)]
