"""A reader's Zotero library kept in step with their library here: which Zotero library, the
key that reads it, and where the daily sync left off (Zotero's library version).

Migration 0055 creates the table. One link per account; it goes with the account (cascade)
and when the reader unlinks. Migration 0056 adds `zotero_items`: the Zotero items a linked
library's imports matched, so that one removed in Zotero (deleted, trashed, taken out of the
linked collection) takes its paper out of the library here, where the link put it there.
The API key has to be kept to be used: it is never shown again (only its last four
characters), never exported, and a read-only key is all it needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    delete,
    or_,
    select,
    update,
)

from paperfeed.store.tables import metadata
from paperfeed.util import chunks

_CHUNK = 500  # keys a statement names at most

zotero_links = Table(
    "zotero_links",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(8), nullable=False),  # "user" or "group"
    Column("library_id", String(16), nullable=False),
    Column("api_key", String(64), nullable=False),  # "" for a public library
    Column("collection_key", String(8), nullable=False),  # "": the whole library
    Column("into_collection", String(200)),  # the reader's collection here the papers go into
    Column("tags_as_collections", Boolean, nullable=False),
    Column("version", Integer),  # Zotero's library version the last sync read up to
    Column("created_at", DateTime, nullable=False),
    Column("synced_at", DateTime),  # the last sync that finished, well or not
    Column("claimed_at", DateTime),  # a sync under way since (one at a time per link)
    Column("added", Integer),  # papers the last sync added to the library
    Column("error", Text),  # why the last sync failed; None when it did not
    Column("removed", Integer),  # papers the last sync took out (their items left Zotero)
)

zotero_items = Table(
    "zotero_items",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("item_key", String(16), primary_key=True),  # Zotero's key of the item
    Column("paper_id", String(64), nullable=False),  # the paper it matched
    # the link's import saved the paper (it was not in the library before): it leaves with it
    Column("owned", Boolean, nullable=False),
)


@dataclass(frozen=True)
class ZoteroLink:
    """One reader's link, as their import page shows it (the key only as its last four)."""

    user_id: int
    kind: str
    library_id: str
    api_key: str
    collection_key: str
    into_collection: str | None
    tags_as_collections: bool
    version: int | None
    created_at: datetime
    synced_at: datetime | None
    added: int | None
    error: str | None
    removed: int | None = None

    @property
    def key_hint(self) -> str:
        """How the page names the kept key: its last four characters."""
        return f"…{self.api_key[-4:]}" if self.api_key else ""


def _link(row: object) -> ZoteroLink:
    m = row._mapping  # type: ignore[attr-defined]
    return ZoteroLink(
        m["user_id"],
        m["kind"],
        m["library_id"],
        m["api_key"],
        m["collection_key"],
        m["into_collection"],
        bool(m["tags_as_collections"]),
        m["version"],
        m["created_at"],
        m["synced_at"],
        m["added"],
        m["error"],
        m["removed"],
    )


def get_link(conn: Connection, user_id: int) -> ZoteroLink | None:
    """The reader's link, if they keep one."""
    row = conn.execute(select(zotero_links).where(zotero_links.c.user_id == user_id)).first()
    return _link(row) if row else None


def save_link(
    conn: Connection,
    user_id: int,
    kind: str,
    library_id: str,
    api_key: str,
    collection_key: str,
    into_collection: str | None,
    tags_as_collections: bool,
    version: int | None,
    now: datetime,
    added: int,
) -> None:
    """Keep (or replace) the reader's link after an import of it that read up to `version`."""
    conn.execute(delete(zotero_links).where(zotero_links.c.user_id == user_id))
    conn.execute(
        zotero_links.insert().values(
            user_id=user_id,
            kind=kind,
            library_id=library_id,
            api_key=api_key,
            collection_key=collection_key,
            into_collection=into_collection,
            tags_as_collections=tags_as_collections,
            version=version,
            created_at=now,
            synced_at=now,
            added=added,
        )
    )


def remove_link(conn: Connection, user_id: int) -> bool:
    """Forget the reader's link, its key and its items (the papers stay); whether there was
    one."""
    conn.execute(delete(zotero_items).where(zotero_items.c.user_id == user_id))
    return conn.execute(delete(zotero_links).where(zotero_links.c.user_id == user_id)).rowcount > 0


def record_items(
    conn: Connection,
    user_id: int,
    matched: dict[str, str],
    new: set[str],
    whole: bool,
) -> None:
    """Note the Zotero items (key: paper id) an import of the linked library matched; `new`
    are the papers it put in the library. `whole`: the import read the whole library (a link
    made or made again), so the items noted before are replaced; a paper the link had put in
    the library stays the link's when its item matches it again."""
    held = conn.execute(
        select(zotero_items.c.item_key, zotero_items.c.paper_id, zotero_items.c.owned).where(
            zotero_items.c.user_id == user_id
        )
    ).all()
    owned = {(key, pid) for key, pid, mine in held if mine}
    if whole:
        conn.execute(delete(zotero_items).where(zotero_items.c.user_id == user_id))
    else:
        _delete_items(conn, user_id, sorted(matched))
    rows = [
        {
            "user_id": user_id,
            "item_key": key,
            "paper_id": pid,
            "owned": pid in new or (key, pid) in owned,
        }
        for key, pid in matched.items()
    ]
    if rows:
        conn.execute(zotero_items.insert(), rows)


def forget_gone(conn: Connection, user_id: int, present: set[str]) -> list[str]:
    """Forget the noted items the Zotero library no longer holds (`present`: the keys it
    holds now); the papers that the link put in the library and that no item still noted
    matches, to take out of it."""
    rows = conn.execute(
        select(zotero_items.c.item_key, zotero_items.c.paper_id, zotero_items.c.owned).where(
            zotero_items.c.user_id == user_id
        )
    ).all()
    gone = sorted(key for key, _pid, _owned in rows if key not in present)
    kept = {pid for key, pid, _owned in rows if key in present}
    leaving = {pid for key, pid, owned in rows if key not in present and owned}
    _delete_items(conn, user_id, gone)
    return sorted(leaving - kept)


def _delete_items(conn: Connection, user_id: int, keys: Sequence[str]) -> None:
    for part in chunks(keys, _CHUNK):
        conn.execute(
            delete(zotero_items).where(
                zotero_items.c.user_id == user_id, zotero_items.c.item_key.in_(part)
            )
        )


def claim(conn: Connection, user_id: int, now: datetime, stale: datetime) -> ZoteroLink | None:
    """Take the reader's link for a sync (None: none, or another sync has it since after
    `stale`); a claim older than `stale` is a sync that died, taken over."""
    free = or_(zotero_links.c.claimed_at.is_(None), zotero_links.c.claimed_at < stale)
    taken = conn.execute(
        update(zotero_links).where(zotero_links.c.user_id == user_id, free).values(claimed_at=now)
    ).rowcount
    return get_link(conn, user_id) if taken else None


def due(conn: Connection, before: datetime) -> list[int]:
    """The readers whose link last synced before `before` (or never), oldest first."""
    query = (
        select(zotero_links.c.user_id)
        .where(or_(zotero_links.c.synced_at.is_(None), zotero_links.c.synced_at < before))
        .order_by(zotero_links.c.synced_at, zotero_links.c.user_id)
    )
    return list(conn.scalars(query))


def finish(
    conn: Connection,
    user_id: int,
    now: datetime,
    version: int | None,
    added: int | None,
    error: str | None,
    removed: int | None = None,
) -> None:
    """Record how a sync ended and free the link: the version read up to (kept when it
    failed), the papers it added and took out, or why it failed."""
    values: dict[str, object] = {"synced_at": now, "claimed_at": None, "error": error}
    if error is None:
        values |= {"version": version, "added": added, "removed": removed}
    conn.execute(update(zotero_links).where(zotero_links.c.user_id == user_id).values(**values))
