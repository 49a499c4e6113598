"""Co-editors of a collection: a reading group has two or three organisers, a collection one
owner. The owner names editors, who may put papers in and take them out and write the notes
on its papers; renaming, sharing, deleting and naming editors stay the owner's. The owner may
offer the collection to an editor, who owns it only once they accept (naming an editor needs
no consent, so owning a collection must).

A collection's papers are papers of its owner's library (taking a paper out of the library
takes it out of its collections), so a paper an editor puts in is saved to the owner's
library too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Table,
    delete,
    func,
    insert,
    select,
    update,
)

from paperfeed.store.accounts import users
from paperfeed.store.collection_offers import collection_offers
from paperfeed.store.library import (
    Collection,
    LibraryError,
    LibraryItem,
    _added,
    _collection,
    add_many_to_collection,
    collection_items,
    collection_paper_ids,
    collections,
    find_collection,
    find_in_collection,
    get_collection,
    save_papers,
)
from paperfeed.store.shared_lists import collection_follows, set_item_note
from paperfeed.store.sql import in_list
from paperfeed.store.tables import metadata
from paperfeed.store.team_notices import noted_today, tell, tell_added, tell_noted
from paperfeed.util import utcnow

EDITORS_MAX = 10  # editors of one collection, besides its owner

collection_editors = Table(
    "collection_editors",
    metadata,
    Column(
        "collection_id",
        Integer,
        ForeignKey("collections.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("created_at", DateTime, nullable=False),
    Index("ix_collection_editors_user", "user_id"),
)

_active = users.c.suspended_at.is_(None) & users.c.deleted_at.is_(None)


@dataclass(frozen=True)
class SharedWith:
    """A collection another reader lets you edit, with its owner's name."""

    collection: Collection
    owner: str
    since: datetime


def editable_collection(conn: Connection, user_id: int, collection_id: int) -> Collection | None:
    """The collection when the user may put papers in it, take them out and write its notes:
    its owner, or an editor whose account is active while its owner's is too (a suspended
    owner's collection is hidden from its editors as from everyone); None otherwise."""
    found = get_collection(conn, collection_id)
    if found is None or found.user_id == user_id:
        return found
    owners = users.alias("owners")
    query = (
        select(collection_editors.c.user_id)
        .join(users, users.c.id == collection_editors.c.user_id)
        .join(owners, owners.c.id == found.user_id)
        .where(
            collection_editors.c.collection_id == collection_id,
            collection_editors.c.user_id == user_id,
            _active,
            owners.c.suspended_at.is_(None),
        )
    )
    return found if conn.execute(query).first() is not None else None


def editor_names(conn: Connection, collection_id: int) -> list[str]:
    """The user names of a collection's editors, in the order they were named."""
    query = (
        select(users.c.username)
        .join(collection_editors, collection_editors.c.user_id == users.c.id)
        .where(collection_editors.c.collection_id == collection_id, users.c.deleted_at.is_(None))
        .order_by(collection_editors.c.created_at, users.c.id)
    )
    return list(conn.scalars(query))


def heirs(conn: Connection, collection_id: int) -> list[str]:
    """The editors a collection can be handed over to: those whose account is active (not
    suspended), in the order they were named."""
    query = (
        select(users.c.username)
        .join(collection_editors, collection_editors.c.user_id == users.c.id)
        .where(collection_editors.c.collection_id == collection_id, _active)
        .order_by(collection_editors.c.created_at, users.c.id)
    )
    return list(conn.scalars(query))


def _user_named(conn: Connection, username: str) -> int:
    query = select(users.c.id).where(users.c.name_key == username.strip().lower(), _active)
    found = conn.execute(query).scalar()
    if found is None:
        raise LookupError(f"there is no reader named {username.strip()!r} here")
    return int(found)


def add_editor(conn: Connection, collection: Collection, username: str) -> bool:
    """Let the reader named `username` edit the owner's collection; True when newly added.
    LookupError for no such active reader, LibraryError for the owner or one too many."""
    user_id = _user_named(conn, username)
    if user_id == collection.user_id:
        raise LibraryError("this collection is yours: you edit it already")
    mine = collection_editors.c.collection_id == collection.id
    count = conn.execute(select(func.count()).where(mine)).scalar_one()
    if int(count) >= EDITORS_MAX:
        raise LibraryError(f"a collection has at most {EDITORS_MAX} editors")
    row = {"collection_id": collection.id, "user_id": user_id, "created_at": utcnow()}
    return _added(conn, collection_editors, row)


def remove_editor(conn: Connection, collection_id: int, username: str) -> bool:
    """Stop the reader named `username` editing the collection; True when they did."""
    ids = select(users.c.id).where(users.c.name_key == username.strip().lower())
    where = (collection_editors.c.collection_id == collection_id) & (
        collection_editors.c.user_id.in_(ids)
    )
    return conn.execute(delete(collection_editors).where(where)).rowcount > 0


def shared_with(conn: Connection, user_id: int) -> list[SharedWith]:
    """The collections of active owners that the user may edit, by name."""
    owners = users.alias("owners")
    query = (
        select(
            collections,
            owners.c.username.label("owner"),
            collection_editors.c.created_at.label("since"),  # not the collection's created_at
        )
        .join(collection_editors, collection_editors.c.collection_id == collections.c.id)
        .join(owners, owners.c.id == collections.c.user_id)
        .where(
            collection_editors.c.user_id == user_id,
            owners.c.suspended_at.is_(None),
            owners.c.deleted_at.is_(None),
        )
        .order_by(collections.c.name, collections.c.id)
    )
    return [SharedWith(_collection(r), r.owner, r.since) for r in conn.execute(query)]


def shared_sizes(conn: Connection, user_id: int) -> dict[int, int]:
    """How many papers each collection the user edits holds (empty ones left out)."""
    edited = select(collection_editors.c.collection_id).where(
        collection_editors.c.user_id == user_id
    )
    query = (
        select(collection_items.c.collection_id, func.count())
        .where(collection_items.c.collection_id.in_(edited))
        .group_by(collection_items.c.collection_id)
    )
    return {int(cid): int(n) for cid, n in conn.execute(query)}


@dataclass(frozen=True)
class InUse:
    """One of a reader's collections that others edit or follow: what goes with the account."""

    collection: Collection
    editors: int
    followers: int


def used_by_others(conn: Connection, owner_id: int) -> list[InUse]:
    """The owner's collections that other readers edit or follow (through its current link,
    while it is shared), by name."""
    return used_by_others_of(conn, [owner_id]).get(owner_id, [])


def used_by_others_of(conn: Connection, owner_ids: Sequence[int]) -> dict[int, list[InUse]]:
    """`used_by_others` for each of these owners at once (those with none left out)."""
    mine = in_list(collections.c.user_id, conn.dialect.name, values=list(owner_ids))
    edits = (
        select(func.count())
        .select_from(collection_editors.join(users, users.c.id == collection_editors.c.user_id))
        .where(collection_editors.c.collection_id == collections.c.id, users.c.deleted_at.is_(None))
        .scalar_subquery()
    )
    follows = (
        select(func.count())
        .where(
            collection_follows.c.collection_id == collections.c.id,
            collection_follows.c.share_key == collections.c.share_key,
            collections.c.visibility != "private",
        )
        .scalar_subquery()
    )
    query = select(collections, edits.label("edits"), follows.label("follows")).where(mine)
    rows = conn.execute(query.order_by(collections.c.name, collections.c.id))
    out: dict[int, list[InUse]] = {}
    for r in rows:
        if r.edits or r.follows:
            out.setdefault(r.user_id, []).append(InUse(_collection(r), r.edits, r.follows))
    return out


@dataclass(frozen=True)
class Offer:
    """A pending hand-over of a collection: to whom, and whether its owner stays an editor."""

    collection_id: int
    to: str
    stay: bool
    since: datetime


def offer(conn: Connection, collection: Collection, username: str, stay: bool) -> str:
    """Offer the owner's collection to its editor named `username`, who becomes its owner only by
    accepting (an earlier offer of it ends); their name as they spell it. LookupError for no
    such active reader, LibraryError for one who is not its editor. Whether they have a
    collection of that name is theirs to hear, when they accept."""
    to = _user_named(conn, username)
    theirs = (collection_editors.c.collection_id == collection.id) & (
        collection_editors.c.user_id == to
    )
    if conn.execute(select(collection_editors.c.user_id).where(theirs)).first() is None:
        raise LibraryError("only one of the collection's editors can take it over")
    withdraw(conn, collection.id)
    row = {"collection_id": collection.id, "user_id": to, "offered_by": collection.user_id}
    conn.execute(insert(collection_offers).values(**row, stay=stay, created_at=utcnow()))
    tell(conn, to, "list_offer", collection, collection.user_id)
    return str(conn.execute(select(users.c.username).where(users.c.id == to)).scalar_one())


def withdraw(conn: Connection, collection_id: int) -> bool:
    """End the pending hand-over of the collection; True when there was one."""
    mine = collection_offers.c.collection_id == collection_id
    return conn.execute(delete(collection_offers).where(mine)).rowcount > 0


def pending_offer(conn: Connection, collection_id: int) -> Offer | None:
    """The collection's pending hand-over, while both accounts are active."""
    owners = users.alias("owners")
    query = (
        select(collection_offers, users.c.username)
        .join(users, users.c.id == collection_offers.c.user_id)
        .join(owners, owners.c.id == collection_offers.c.offered_by)
        .where(collection_offers.c.collection_id == collection_id, _active)
        .where(owners.c.suspended_at.is_(None), owners.c.deleted_at.is_(None))
    )
    r = conn.execute(query).first()
    return None if r is None else Offer(r.collection_id, r.username, r.stay, r.created_at)


def offered_to(conn: Connection, user_id: int) -> set[int]:
    """The collections offered to the user, by their active owners, to take over."""
    query = select(collection_offers.c.collection_id).where(collection_offers.c.user_id == user_id)
    return {cid for cid in conn.scalars(query) if _live_offer(conn, cid, user_id)}


def _live_offer(conn: Connection, collection_id: int, user_id: int) -> bool:
    found = pending_offer(conn, collection_id)
    return found is not None and editable_collection(conn, user_id, collection_id) is not None


def decline(conn: Connection, user_id: int, collection_id: int) -> bool:
    """Turn down the collection offered to the user (its owner is told); True when there was
    such an offer."""
    theirs = (collection_offers.c.collection_id == collection_id) & (
        collection_offers.c.user_id == user_id
    )
    by = conn.scalar(select(collection_offers.c.offered_by).where(theirs))
    found = get_collection(conn, collection_id)
    if by is None or found is None:  # no such offer (it goes with its collection)
        return False
    if not conn.execute(delete(collection_offers).where(theirs)).rowcount:
        return False  # declined or withdrawn in between
    tell(conn, int(by), "offer_declined", found, user_id)
    return True


def accept(conn: Connection, user_id: int, collection_id: int) -> Collection:
    """Take over the collection offered to the user: its papers saved to their library, its old
    owner one of its editors (as they chose) or gone from it; the collection now. LookupError
    for no such offer, LibraryError when they have a collection of that name already."""
    found = get_collection(conn, collection_id)
    if found is None or collection_id not in offered_to(conn, user_id):
        raise LookupError("this collection is not offered to you")
    yours = find_collection(conn, user_id, found.name)
    if yours is not None:  # named as the reader spells theirs ("READING GROUP"), to find it
        raise LibraryError(
            f"you have a collection named {yours.name!r} already: rename or delete yours, "
            "then accept again"
        )
    stay = bool(conn.scalar(select(collection_offers.c.stay).where(_offer_of(collection_id))))
    _take_over(conn, found, user_id, stay)
    tell(conn, found.user_id, "offer_accepted", found, user_id)
    now = get_collection(conn, collection_id)
    assert now is not None  # taken over in this transaction
    return now


def _offer_of(collection_id: int) -> ColumnElement[bool]:
    return collection_offers.c.collection_id == collection_id


def _take_over(conn: Connection, collection: Collection, new_owner: int, stay: bool) -> None:
    """Make the collection's editor `new_owner` its owner (the offer goes with their
    editorship), the old owner one of its editors (`stay`) or gone from it."""
    save_papers(conn, new_owner, collection_paper_ids(conn, collection.id))
    theirs = (collection_editors.c.collection_id == collection.id) & (
        collection_editors.c.user_id == new_owner
    )
    conn.execute(delete(collection_offers).where(_offer_of(collection.id)))
    conn.execute(delete(collection_editors).where(theirs))
    moved = update(collections).where(collections.c.id == collection.id)
    conn.execute(moved.values(user_id=new_owner))
    followed = (collection_follows.c.collection_id == collection.id) & (
        collection_follows.c.user_id == new_owner
    )
    conn.execute(delete(collection_follows).where(followed))  # one's own is not followed
    if stay:
        row = {"collection_id": collection.id, "user_id": collection.user_id}
        _added(conn, collection_editors, row | {"created_at": utcnow()})


def put_in(conn: Connection, user_id: int, collection: Collection, paper_id: str) -> None:
    """Put a paper in a collection the user edits: saved to their library and to the owner's
    (a collection holds papers of its owner's library), then filed; the owner is told of an
    editor's."""
    save_papers(conn, user_id, [paper_id])
    if collection.user_id != user_id:
        save_papers(conn, collection.user_id, [paper_id])
    tell_added(conn, collection, user_id, add_many_to_collection(conn, collection.id, [paper_id]))


def write_note(
    conn: Connection,
    user_id: int,
    collection: Collection,
    paper_id: str,
    note: str,
    version: int | None = None,
) -> bool:
    """Write the collection's note on one of its papers as the user, who owns or edits it
    (`set_item_note`): its other members are told of a note written or changed, not of one
    removed or saved unchanged."""
    before = _note_of(conn, collection.id, paper_id)
    if not set_item_note(conn, collection.id, paper_id, note, user_id, version):
        return False
    after = _note_of(conn, collection.id, paper_id)
    if before is not None and after is not None and after[0] and after[0] != before[0]:
        again = noted_today(before[1], before[2], user_id)
        tell_noted(conn, collection, user_id, members(conn, collection), again)
    return True


def _note_of(
    conn: Connection, collection_id: int, paper_id: str
) -> tuple[str, int | None, datetime | None] | None:
    """The collection's note on the paper, who wrote it last and when (None: not in it)."""
    c = collection_items.c
    query = select(c.note, c.note_by, c.note_at).where(
        c.collection_id == collection_id, c.paper_id == paper_id
    )
    found = conn.execute(query).first()
    return None if found is None else (str(found[0]), found[1], found[2])


def members(conn: Connection, collection: Collection) -> list[int]:
    """The ids of the collection's owner and editors (the owner first)."""
    query = select(collection_editors.c.user_id).where(
        collection_editors.c.collection_id == collection.id
    )
    return [collection.user_id, *sorted(conn.scalars(query))]


def added_at(conn: Connection, collection_id: int) -> list[tuple[str, datetime]]:
    """When each paper of the collection was put in it."""
    query = select(collection_items.c.paper_id, collection_items.c.added_at).where(
        collection_items.c.collection_id == collection_id
    )
    return [(pid, at) for pid, at in conn.execute(query)]


def editor_shelf(
    conn: Connection,
    user_id: int,
    collection: Collection,
    saved: list[LibraryItem],
    words: str = "",
    order: str = "added",
) -> list[LibraryItem]:
    """A collection the user edits as their library shows it (page and API alike): every paper
    of it (those holding `words`), those in `saved` (theirs) with their reading state and note,
    the others with none (state "")."""
    if words.strip():  # in every paper of it, its notes on them and the reader's own notes
        ids = find_in_collection(conn, collection.id, user_id, words, order)
    else:
        ids = collection_paper_ids(conn, collection.id, order)
    mine = {i.paper_id: i for i in saved}
    added = dict(added_at(conn, collection.id))
    return [mine.get(pid) or LibraryItem(pid, "", "", added[pid]) for pid in ids]
