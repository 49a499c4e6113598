"""Notices about team reading lists, in the site's notifications: an editor is told a list is
offered to them, its owner that the offer was accepted or declined, and a list's owner how many
papers an editor put in it (one notice a day per list and editor, counting up while unread).

Nobody is told of their own doing, a deleted or suspended account is told nothing, and a
list's owner who turned `notify_lists` off hears nothing of papers put in. Those who take
notices by email are emailed them too (`fresh_notices` lists what to email).
"""

from __future__ import annotations

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
    kind: str  # list_offer | offer_accepted | offer_declined | list_added
    collection_id: int
    name: str
    who: str
    papers: int  # how many papers they put in it that day (list_added)
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
    owner, now = collection.user_id, utcnow()
    if owner == actor_id or added <= 0 or not _active(conn, owner):
        return
    if not get_profile(conn, owner).notify_lists:
        return
    mine = _days_notice(conn, owner, collection.id, actor_id, now)
    if mine is not None:
        bumped = {"papers": notifications.c.papers + added, "seen": False, "created_at": now}
        where = notifications.c.id == mine
        conn.execute(update(notifications).where(where).values(**bumped))
        return
    row = _row(owner, "list_added", collection, actor_id, now)
    conn.execute(insert(notifications).values(**row, papers=added, seen=False))


def _days_notice(
    conn: Connection, owner: int, collection_id: int, actor_id: int, now: datetime
) -> int | None:
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)  # the UTC day
    query = select(notifications.c.id).where(
        notifications.c.user_id == owner,
        notifications.c.kind == "list_added",
        notifications.c.collection_id == collection_id,
        notifications.c.actor_id == actor_id,
        notifications.c.created_at >= day,
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
