"""What a shared collection offers other readers: a public note on each of its papers (a reading
group's "read on 12 Dec") and followers, who see its newest additions on their For you page.

A follow holds the link it was made through: a collection given a new link loses the followers
of the old one, as it loses every other holder of that link.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Table,
    delete,
    func,
    select,
    update,
)

from paperfeed.store.accounts import users
from paperfeed.store.library import (
    Collection,
    LibraryError,
    _added,
    _collection,
    collection_items,
    collections,
    note_key,
)
from paperfeed.store.sql import in_list
from paperfeed.store.tables import metadata
from paperfeed.text import xml_safe
from paperfeed.util import utcnow

ITEM_NOTE_MAX = 2_000  # characters in a collection's note on one paper
NEW_DAYS = 30  # a followed collection's additions shown as new for this long

collection_follows = Table(
    "collection_follows",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "collection_id",
        Integer,
        ForeignKey("collections.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("share_key", String(32), nullable=False),  # the link it was followed through
    Column("created_at", DateTime, nullable=False),
    Index("ix_collection_follows_collection", "collection_id"),
)


# --- notes on a collection's papers -----------------------------------------------------------


@dataclass(frozen=True)
class ItemNote:
    """A collection's note on one of its papers: who last wrote it and when (None for a note
    older than that record, or its writer's account gone), and its version (saves so far)."""

    text: str
    by: str | None
    at: datetime | None
    version: int


class NoteChanged(LibraryError):
    """The note was saved by someone else since the version the writer started from."""

    def __init__(self, now: ItemNote) -> None:
        who = now.by or "someone else"
        super().__init__(f"{who} changed this note while you were writing yours")
        self.now = now


def set_item_note(
    conn: Connection,
    collection_id: int,
    paper_id: str,
    note: str,
    by: int | None = None,
    version: int | None = None,
) -> bool:
    """Say something public about one paper of a collection (empty: nothing), written by user
    `by`; False when the paper is not in it, LibraryError when the note is too long,
    NoteChanged when `version` (the one the writer started from) is no longer the note's."""
    note = xml_safe(note).replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(note) > ITEM_NOTE_MAX:
        raise LibraryError(
            f"a note on a paper of a collection has at most {ITEM_NOTE_MAX:,} characters"
        )
    where = (collection_items.c.collection_id == collection_id) & (
        collection_items.c.paper_id == paper_id
    )
    if version is not None:  # checked in the write itself: two saves at once, one wins
        where &= collection_items.c.note_version == version
    written = update(collection_items).where(where)
    version_after = collection_items.c.note_version + 1
    changes = written.values(
        note=note, note_key=note_key(note), note_by=by, note_at=utcnow(), note_version=version_after
    )
    if conn.execute(changes).rowcount > 0:
        return True
    now = item_note(conn, collection_id, paper_id)
    if now is not None and version is not None:
        raise NoteChanged(now)
    return False


def item_note(conn: Connection, collection_id: int, paper_id: str) -> ItemNote | None:
    """The collection's note on one of its papers, as it stands (None: not in it)."""
    return item_note_details(conn, collection_id, [paper_id], empty=True).get(paper_id)


def item_note_details(
    conn: Connection, collection_id: int, paper_ids: Sequence[str], empty: bool = False
) -> dict[str, ItemNote]:
    """The collection's notes on these of its papers with who wrote them, when and their
    versions (those without a note left out unless `empty`)."""
    c = collection_items.c
    query = (
        select(c.paper_id, c.note, users.c.username, c.note_at, c.note_version)
        .outerjoin(users, (users.c.id == c.note_by) & users.c.deleted_at.is_(None))
        .where(
            c.collection_id == collection_id,
            in_list(c.paper_id, conn.dialect.name, values=list(paper_ids)),
        )
    )
    if not empty:
        query = query.where(c.note != "")
    return {r[0]: ItemNote(r[1], r[2], r[3], r[4]) for r in conn.execute(query)}


def item_notes(conn: Connection, collection_id: int, paper_ids: Sequence[str]) -> dict[str, str]:
    """The collection's notes on these of its papers (those without one left out)."""
    query = select(collection_items.c.paper_id, collection_items.c.note).where(
        collection_items.c.collection_id == collection_id,
        in_list(collection_items.c.paper_id, conn.dialect.name, values=list(paper_ids)),
        collection_items.c.note != "",
    )
    return {pid: note for pid, note in conn.execute(query)}


# --- followers --------------------------------------------------------------------------------


def follow_collection(conn: Connection, user_id: int, collection: Collection) -> bool:
    """Follow a shared collection through its current link; True when newly followed. One's own
    collection is not followed (LibraryError)."""
    if collection.user_id == user_id:
        raise LibraryError("this collection is yours: its papers are in your library")
    mine = (collection_follows.c.user_id == user_id) & (
        collection_follows.c.collection_id == collection.id
    )
    conn.execute(
        delete(collection_follows).where(
            mine, collection_follows.c.share_key != collection.share_key
        )
    )
    row = {"user_id": user_id, "collection_id": collection.id, "share_key": collection.share_key}
    return _added(conn, collection_follows, row | {"created_at": utcnow()})


def unfollow_collection(conn: Connection, user_id: int, collection_id: int) -> bool:
    """Stop following a collection; True when it was followed."""
    mine = (collection_follows.c.user_id == user_id) & (
        collection_follows.c.collection_id == collection_id
    )
    return conn.execute(delete(collection_follows).where(mine)).rowcount > 0


def _live_follows(user_id: int) -> Select[Any]:
    """The user's follows whose collection is still shared, through the link followed, by an
    active owner: the collections' rows."""
    return (
        select(collections)
        .select_from(collection_follows)
        .join(collections, collections.c.id == collection_follows.c.collection_id)
        .join(users, users.c.id == collections.c.user_id)
        .where(
            collection_follows.c.user_id == user_id,
            collections.c.share_key == collection_follows.c.share_key,
            collections.c.visibility != "private",
            users.c.suspended_at.is_(None),
        )
    )


def is_following(conn: Connection, user_id: int, collection: Collection) -> bool:
    """Whether the user follows this collection through its current link."""
    query = _live_follows(user_id).where(collections.c.id == collection.id)
    return conn.execute(query.limit(1)).first() is not None


def follower_count(conn: Connection, collection: Collection) -> int:
    """How many readers follow the collection through its current link."""
    query = select(func.count()).where(
        collection_follows.c.collection_id == collection.id,
        collection_follows.c.share_key == collection.share_key,
    )
    return int(conn.execute(query).scalar_one())


def following_anything(conn: Connection, user_ids: Sequence[int]) -> set[int]:
    """Which of these users follow at least one collection (live or not)."""
    query = select(collection_follows.c.user_id).where(
        in_list(collection_follows.c.user_id, conn.dialect.name, values=list(user_ids))
    )
    return set(conn.execute(query.distinct()).scalars())


def followed_collections(conn: Connection, user_id: int) -> list[Collection]:
    """The shared collections the user follows, by name (two owners' of one name, oldest
    first: the same order at every request, as paging needs)."""
    query = _live_follows(user_id).order_by(collections.c.name, collections.c.id)
    return [_collection(r) for r in conn.execute(query)]


@dataclass(frozen=True)
class Addition:
    """A paper newly put in a collection the reader follows, with the collection's note on it."""

    collection: Collection
    paper_id: str
    added_at: datetime
    note: str


def followed_additions(
    conn: Connection,
    user_id: int,
    limit: int = 10,
    days: int = NEW_DAYS,
    since: datetime | None = None,
) -> list[Addition]:
    """The newest papers put in the collections the user follows in the last `days` days (or
    since `since`), newest first (a paper in several of them once, in the one it reached last)."""
    since = utcnow() - timedelta(days=days) if since is None else since
    query = (
        _live_follows(user_id)
        .add_columns(
            collection_items.c.paper_id,
            collection_items.c.added_at.label("at"),
            collection_items.c.note.label("item_note"),
        )
        .join(collection_items, collection_items.c.collection_id == collections.c.id)
        .where(collection_items.c.added_at > since)
        .order_by(collection_items.c.added_at.desc(), collection_items.c.paper_id)
    )
    out: dict[str, Addition] = {}
    for r in conn.execute(query):
        if r.paper_id not in out:
            out[r.paper_id] = Addition(_collection(r), r.paper_id, r.at, r.item_note)
        if len(out) >= limit:
            break
    return list(out.values())


def additions_since(
    conn: Connection, collection_ids: Sequence[int], since: datetime, leaving_out: Sequence[str]
) -> dict[int, int]:
    """How many papers were put in each of these collections after `since`, those in
    `leaving_out` not counted (collections with none are left out)."""
    if not collection_ids:
        return {}
    items = collection_items.c
    query = (
        select(items.collection_id, func.count(items.paper_id.distinct()))
        .where(in_list(items.collection_id, conn.dialect.name, values=list(collection_ids)))
        .where(items.added_at > since)
        .group_by(items.collection_id)
    )
    if leaving_out:
        query = query.where(items.paper_id.not_in(list(leaving_out)))
    return {int(cid): int(n) for cid, n in conn.execute(query)}
