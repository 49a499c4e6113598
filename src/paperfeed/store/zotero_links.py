"""A reader's Zotero library kept in step with their library here: which Zotero library, the
key that reads it, and where the daily sync left off (Zotero's library version).

Migration 0055 creates the table. One link per account; it goes with the account (cascade)
and when the reader unlinks. The API key has to be kept to be used: it is never shown again
(only its last four characters), never exported, and a read-only key is all it needs.
"""

from __future__ import annotations

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
    """Forget the reader's link and its key; whether there was one."""
    return conn.execute(delete(zotero_links).where(zotero_links.c.user_id == user_id)).rowcount > 0


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
) -> None:
    """Record how a sync ended and free the link: the version read up to (kept when it
    failed), the papers it added, or why it failed."""
    values: dict[str, object] = {"synced_at": now, "claimed_at": None, "error": error}
    if error is None:
        values |= {"version": version, "added": added}
    conn.execute(update(zotero_links).where(zotero_links.c.user_id == user_id).values(**values))
