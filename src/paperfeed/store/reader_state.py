"""A signed-in reader's own marks on one paper, read in two statements: what its page shows
them (saved, rating, note, their collections and those they edit, which of those hold it)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    Connection,
    DateTime,
    Integer,
    Select,
    String,
    bindparam,
    cast,
    null,
    select,
    union_all,
)

from paperfeed.store.accounts import users
from paperfeed.store.collection_editors import SharedWith, collection_editors
from paperfeed.store.library import (
    Collection,
    LibraryItem,
    _collection,
    collection_items,
    collections,
    library_items,
    ratings,
)

# Built once: building these per page view cost more than the five statements they save.
_USER = bindparam("user_id", type_=Integer)
_PAPER = bindparam("paper_id", type_=String)


@dataclass(frozen=True)
class ReaderState:
    """One reader's marks on one paper."""

    item: LibraryItem | None  # None when the paper is not in their library
    rating: int | None
    collections: tuple[Collection, ...]  # their own, by name
    shared: tuple[SharedWith, ...]  # those of active owners they may edit, by name
    holding: tuple[str, ...]  # names of their own collections holding the paper
    shared_holding: tuple[SharedWith, ...] = ()  # those of `shared` holding the paper

    @property
    def saved(self) -> bool:
        """Whether the paper is in their library."""
        return self.item is not None


def reader_state(conn: Connection, user_id: int, paper_id: str) -> ReaderState:
    """The reader's marks on the paper: the paper's row, then their collections."""
    own: list[Collection] = []
    shared: list[SharedWith] = []
    holding: list[str] = []
    shared_holding: list[SharedWith] = []
    asked = {"user_id": user_id, "paper_id": paper_id}
    for row in conn.execute(_COLLECTIONS, asked):
        found = _collection(row)
        if row.owner is None:
            own.append(found)
            holding += [found.name] if row.holds else []
        else:
            shared.append(SharedWith(found, row.owner, row.since))
            shared_holding += shared[-1:] if row.holds else []
    item, rating = _paper_row(conn, asked, tuple(holding))
    return ReaderState(
        item, rating, tuple(own), tuple(shared), tuple(holding), tuple(shared_holding)
    )


def _paper_row(
    conn: Connection, asked: dict[str, object], holding: tuple[str, ...]
) -> tuple[LibraryItem | None, int | None]:
    """The reader's library item for the paper (None when unsaved) and rating, in one row."""
    row = conn.execute(_PAPER_ROW, asked).first()
    if row is None:
        return None, None
    item = None
    if row.paper_id is not None:
        item = LibraryItem(row.paper_id, row.state, row.note, row.added_at, holding)
    return item, None if row.rating is None else int(row.rating)


def _paper_row_query() -> Select[tuple[object, ...]]:
    saved = (library_items.c.user_id == users.c.id) & (library_items.c.paper_id == _PAPER)
    rated = (ratings.c.user_id == users.c.id) & (ratings.c.paper_id == _PAPER)
    return (
        select(library_items, ratings.c.rating)
        .select_from(users.outerjoin(library_items, saved).outerjoin(ratings, rated))
        .where(users.c.id == _USER)
    )


def _collections_query() -> Select[tuple[object, ...]]:
    """The reader's collections (owner NULL) and those they edit, each saying if it holds the
    paper; by name."""
    holds = (
        select(collection_items.c.paper_id)
        .where(
            collection_items.c.collection_id == collections.c.id,
            collection_items.c.paper_id == _PAPER,
        )
        .exists()
        .label("holds")
    )
    mine = select(
        collections,
        cast(null(), String).label("owner"),
        cast(null(), DateTime).label("since"),
        holds,
    ).where(collections.c.user_id == _USER)
    owners = users.alias("owners")
    edited = (
        select(
            collections,
            owners.c.username.label("owner"),
            collection_editors.c.created_at.label("since"),
            holds,
        )
        .join(collection_editors, collection_editors.c.collection_id == collections.c.id)
        .join(owners, owners.c.id == collections.c.user_id)
        .where(
            collection_editors.c.user_id == _USER,
            owners.c.suspended_at.is_(None),
            owners.c.deleted_at.is_(None),
        )
    )
    both = union_all(mine, edited).subquery()
    return select(both).order_by(both.c.name, both.c.id)


_PAPER_ROW = _paper_row_query()
_COLLECTIONS = _collections_query()
