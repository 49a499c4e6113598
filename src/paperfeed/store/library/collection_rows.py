"""Collections: creating, editing, sharing and deleting them, putting papers in and out."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slugify import slugify
from sqlalchemy import ColumnElement, Connection, Select, Table, delete, func, select, update

from paperfeed.store.accounts import bump_revision, users
from paperfeed.store.library.tables import (
    VISIBILITIES,
    Collection,
    LibraryError,
    _added_many,
    _chunks,
    _lines,
    collection_items,
    collections,
)
from paperfeed.store.tables import papers
from paperfeed.text import xml_safe
from paperfeed.util import utcnow


def _collection(row: object) -> Collection:
    r = row
    return Collection(
        r.id,  # type: ignore[attr-defined]
        r.user_id,  # type: ignore[attr-defined]
        r.name,  # type: ignore[attr-defined]
        r.slug,  # type: ignore[attr-defined]
        r.description,  # type: ignore[attr-defined]
        r.visibility,  # type: ignore[attr-defined]
        r.share_key,  # type: ignore[attr-defined]
        bool(r.ordered),  # type: ignore[attr-defined]
    )


def _named(name: str) -> tuple[str, str]:
    """A collection name with its spaces tidied, and its slug; LibraryError when unusable."""
    name = " ".join(xml_safe(name).split())  # control characters (a NUL) are no part of a name
    slug = slugify(name, max_length=190)
    if not name or not slug or len(name) > 200:
        raise LibraryError("a collection name has 1 to 200 characters, with letters or digits")
    return name, slug


# An export marks a paper's 👍, 👎 and reading state with tags so named, which an import reads
# back as such: a collection so named would come back as a rating (and be gone).
RESERVED_PREFIX = "paperfeed:"


def _unreserved(name: str) -> str:
    """A new collection's name; LibraryError when an export would read it as something else."""
    if name.lower().replace(" ", "").startswith(RESERVED_PREFIX):
        raise LibraryError(
            f"a collection name may not start with “{RESERVED_PREFIX}”: exports mark 👍, 👎 "
            "and the reading state with such names"
        )
    return name


def _visible(visibility: str) -> str:
    if visibility not in VISIBILITIES:
        raise LibraryError(f"visibility must be one of {', '.join(VISIBILITIES)}")
    return visibility


def find_collection(conn: Connection, user_id: int, name: str) -> Collection | None:
    """The user's collection of this name (as `ensure_collection` matches names), if any."""
    _name, slug = _named(name)
    query = select(collections).where(collections.c.user_id == user_id, collections.c.slug == slug)
    row = conn.execute(query).first()
    return _collection(row) if row else None


def ensure_collection(
    conn: Connection, user_id: int, name: str, description: str = "", visibility: str = "private"
) -> Collection:
    """The user's collection of this name, created when there is none."""
    name, slug = _named(name)
    _visible(visibility)
    description = _lines(xml_safe(description))
    query = select(collections).where(collections.c.user_id == user_id, collections.c.slug == slug)
    row = conn.execute(query).first()
    if row:
        return _collection(row)
    values = {"user_id": user_id, "name": _unreserved(name), "slug": slug}
    values["description"] = description
    values |= {"visibility": visibility, "share_key": secrets.token_urlsafe(12)}
    new_id = conn.execute(
        collections.insert().values(**values, created_at=utcnow())
    ).inserted_primary_key[0]  # type: ignore[index]
    return Collection(
        int(new_id), user_id, name, slug, description, visibility, str(values["share_key"])
    )


def edit_collection(
    conn: Connection,
    user_id: int,
    collection_id: int,
    description: str,
    visibility: str,
    name: str | None = None,
) -> bool:
    """Change a collection's description and visibility, and rename it when `name` is given
    (LibraryError when another of the user's collections has that name); False when it is not
    the user's."""
    values: dict[str, object] = {"visibility": _visible(visibility)}
    values["description"] = _lines(xml_safe(description))
    if name is not None:
        values["name"], values["slug"] = _named(name)
        was = select(collections.c.slug).where(collections.c.id == collection_id)
        if conn.execute(was).scalar() != values["slug"]:  # a name it had before may stay
            _unreserved(str(values["name"]))
        other = select(collections.c.id).where(
            collections.c.user_id == user_id,
            collections.c.slug == values["slug"],
            collections.c.id != collection_id,
        )
        if conn.execute(other).first() is not None:
            raise LibraryError(f"you already have a collection named {values['name']}")
    where = (collections.c.id == collection_id) & (collections.c.user_id == user_id)
    _touch(conn, collection_id)  # public before, or
    changed = conn.execute(update(collections).where(where).values(**values)).rowcount > 0
    _touch(conn, collection_id)  # public now
    return changed


def new_share_key(conn: Connection, user_id: int, collection_id: int) -> bool:
    """Give a collection a new shared link (the old one stops working); False when it is not
    the user's."""
    where = (collections.c.id == collection_id) & (collections.c.user_id == user_id)
    query = update(collections).where(where).values(share_key=secrets.token_urlsafe(12))
    _touch(conn, collection_id)
    return conn.execute(query).rowcount > 0


def delete_collection(conn: Connection, user_id: int, collection_id: int) -> bool:
    """Delete one of the user's collections (its papers stay in the library)."""
    where = (collections.c.id == collection_id) & (collections.c.user_id == user_id)
    if conn.execute(select(collections.c.id).where(where)).first() is None:
        return False
    _touch(conn, collection_id)
    conn.execute(delete(collection_items).where(collection_items.c.collection_id == collection_id))
    conn.execute(delete(collections).where(where))
    return True


def add_to_collection(conn: Connection, collection_id: int, paper_id: str) -> None:
    """Put a paper in a collection (idempotent)."""
    add_many_to_collection(conn, collection_id, [paper_id])


def add_many_to_collection(conn: Connection, collection_id: int, paper_ids: Sequence[str]) -> int:
    """Put papers in a collection (those already there stay as they were); how many were
    added."""
    ids = list(dict.fromkeys(paper_ids))
    inside = select(collection_items.c.paper_id).where(
        collection_items.c.collection_id == collection_id
    )
    there: set[str] = set()
    for chunk in _chunks(ids):
        there.update(conn.scalars(inside.where(collection_items.c.paper_id.in_(chunk))))
    now, last = utcnow(), _last_position(conn, collection_id)
    new = [pid for pid in ids if pid not in there]
    rows = [
        {"collection_id": collection_id, "paper_id": pid, "added_at": now, "position": last + n}
        for n, pid in enumerate(new, 1)
    ]
    added = _added_many(conn, collection_items, rows)
    if added:
        _touch(conn, collection_id)
    return added


def _last_position(conn: Connection, collection_id: int) -> int:
    """The position of the collection's last paper in its list (0 when empty): new papers go
    after it."""
    query = select(func.max(collection_items.c.position)).where(
        collection_items.c.collection_id == collection_id
    )
    return int(conn.execute(query).scalar() or 0)


def remove_from_collection(conn: Connection, collection_id: int, paper_id: str) -> None:
    """Take a paper out of a collection (it stays in the library)."""
    remove_many_from_collection(conn, collection_id, [paper_id])


def remove_many_from_collection(
    conn: Connection, collection_id: int, paper_ids: Sequence[str]
) -> int:
    """Take papers out of a collection (they stay in the library); how many were in it."""
    where = (collection_items.c.collection_id == collection_id) & collection_items.c.paper_id.in_(
        list(paper_ids)
    )
    taken = int(conn.execute(delete(collection_items).where(where)).rowcount)
    if taken:
        _touch(conn, collection_id)
    return taken


def touch_collections(conn: Connection, *collection_ids: int) -> None:
    """Mark cached pages stale when a public collection changes (as its papers do)."""
    _touch(conn, *collection_ids)


def _touch(conn: Connection, *collection_ids: int) -> None:
    """Mark cached pages stale when a public collection changes: paper pages name the public
    collections that hold them."""
    public = select(collections.c.id).where(
        collections.c.id.in_(collection_ids), collections.c.visibility == "public"
    )
    if collection_ids and conn.execute(public.limit(1)).first() is not None:
        bump_revision(conn)


def user_collections(conn: Connection, user_id: int) -> list[Collection]:
    """The user's collections by name."""
    query = select(collections).where(collections.c.user_id == user_id).order_by(collections.c.name)
    return [_collection(r) for r in conn.execute(query)]


def get_collection(conn: Connection, collection_id: int) -> Collection | None:
    """A collection by id."""
    row = conn.execute(select(collections).where(collections.c.id == collection_id)).first()
    return _collection(row) if row else None


def keyed_collection(conn: Connection, share_key: str) -> Collection | None:
    """A collection by its share key, whatever its visibility (for its owner and editors,
    whose forms name it by its key)."""
    query = select(collections).where(collections.c.share_key == share_key)
    row = conn.execute(query).first()
    return _collection(row) if row else None


def shared_collection(conn: Connection, share_key: str) -> Collection | None:
    """A public or unlisted collection by its share key (private ones are not found, nor a
    suspended owner's while the suspension lasts)."""
    query = (
        select(collections)
        .join(users, users.c.id == collections.c.user_id)
        .where(
            collections.c.share_key == share_key,
            collections.c.visibility != "private",
            users.c.suspended_at.is_(None),
        )
    )
    row = conn.execute(query).first()
    return _collection(row) if row else None


@dataclass(frozen=True)
class PublicCollection:
    """A public collection as lists of them show it: its owner, size and newest addition."""

    collection: Collection
    owner: str
    papers: int
    updated: datetime | None


def public_collections(
    conn: Connection,
    user_id: int | None = None,
    limit: int = 30,
    offset: int = 0,
    holding: str | None = None,
) -> list[PublicCollection]:
    """Public collections with at least one paper, the most recently added to first (one
    user's when `user_id` is given, those holding the paper `holding` when it is; none of a
    suspended user's)."""
    size, newest = func.count(collection_items.c.paper_id), func.max(collection_items.c.added_at)
    query = (
        select(collections, users.c.username, size.label("size"), newest.label("newest"))
        .join(users, users.c.id == collections.c.user_id)
        .join(collection_items, collection_items.c.collection_id == collections.c.id)
        .where(collections.c.visibility == "public", users.c.suspended_at.is_(None))
        .group_by(collections.c.id, users.c.username)
        .order_by(newest.desc(), collections.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if user_id is not None:
        query = query.where(collections.c.user_id == user_id)
    if holding is not None:
        held = select(collection_items.c.collection_id).where(
            collection_items.c.paper_id == holding
        )
        query = query.where(collections.c.id.in_(held))
    return [
        PublicCollection(_collection(r), r.username, int(r.size), r.newest)
        for r in conn.execute(query)
    ]


def count_public_collections(conn: Connection) -> int:
    """How many public collections `public_collections` lists in all."""
    inside = select(collection_items.c.collection_id)
    query = (
        select(func.count())
        .select_from(collections)
        .join(users, users.c.id == collections.c.user_id)
        .where(
            collections.c.visibility == "public",
            users.c.suspended_at.is_(None),
            collections.c.id.in_(inside),
        )
    )
    return int(conn.execute(query).scalar() or 0)


def owner_name(conn: Connection, collection: Collection) -> str | None:
    """The username of a collection's owner (None when they are suspended)."""
    query = select(users.c.username).where(
        users.c.id == collection.user_id, users.c.suspended_at.is_(None)
    )
    return conn.execute(query).scalar()


def collection_paper_ids(conn: Connection, collection_id: int, order: str = "added") -> list[str]:
    """A collection's paper ids in `order` (one of COLLECTION_ORDERS): most recently added
    first by default."""
    query = select(collection_items.c.paper_id).where(
        collection_items.c.collection_id == collection_id
    )
    return list(conn.scalars(_in_order(query, collection_items, order)))


def _in_order(query: Select[Any], items: Table, order: str) -> Select[Any]:
    """A query over library or collection entries (`items`) in `order` (one of
    LIBRARY_ORDERS, or a collection's "list"): most recently added, newest paper or title
    first, or the list's positions (the earliest added first where none was set); ties by
    paper id."""
    if order == "list" and items is collection_items:
        return query.order_by(items.c.position, items.c.added_at, items.c.paper_id)
    if order == "added":
        first: ColumnElement[object] = items.c.added_at.desc()
    else:
        query = query.join(papers, papers.c.id == items.c.paper_id)
        newest = func.coalesce(papers.c.published, papers.c.first_seen).desc()
        first = newest if order == "published" else func.lower(papers.c.title)
    return query.order_by(first, items.c.paper_id)
