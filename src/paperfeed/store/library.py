"""Personal data: library items, collections, ratings, follows, mutes, private feed tokens.

Every change to what a user's recommender learns from bumps that user's signal version,
so a cached model can tell it is stale with one primary-key read.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slugify import slugify
from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Select,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from paperfeed.models import normalise_title
from paperfeed.store.accounts import bump_revision, submissions, users, votes
from paperfeed.store.papers import author_key, find_by_title_keys
from paperfeed.store.search_store import embedding_contracts, paper_vectors
from paperfeed.store.sql import in_list
from paperfeed.store.tables import metadata, paper_authors, paper_categories, papers
from paperfeed.text import fold_accents, xml_safe
from paperfeed.util import utcnow

READING_STATES = ("to_read", "read")
NOTE_MAX = 20_000  # characters in a private note
MAX_FIND_WORDS = 8  # words of a search within a library
VISIBILITIES = ("private", "unlisted", "public")
FOLLOW_KINDS = ("author", "category", "search")
MUTE_KINDS = ("keyword", "author", "category")
# An author follow of one of several namesakes keeps, after the name's key, the keys of the
# co-authors that tell that one apart: "yang li ~ a smith; b chen" (a key has no "~" or ";").
NAMESAKE = " ~ "
ANCHOR_SEP = "; "
INTEREST_MAX = 500  # characters in a follow's or mute's value and label


def _user_fk(primary_key: bool = False) -> Column[int]:
    fk = ForeignKey("users.id", ondelete="CASCADE")
    return Column("user_id", Integer, fk, nullable=False, primary_key=primary_key)


def _paper_fk(primary_key: bool = False) -> Column[str]:
    fk = ForeignKey("papers.id", ondelete="CASCADE")
    return Column("paper_id", String(64), fk, nullable=False, primary_key=primary_key)


library_items = Table(
    "library_items",
    metadata,
    _user_fk(primary_key=True),
    _paper_fk(primary_key=True),
    Column("state", String(16), nullable=False),
    Column("note", Text, nullable=False),
    Column("added_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    # the note as a find matches it: without accents, case folded (`note_key`), kept in step
    Column("note_key", Text, nullable=False, server_default=""),
    Index("ix_library_items_paper", "paper_id"),
)

collections = Table(
    "collections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _user_fk(),
    Column("name", String(200), nullable=False),
    Column("slug", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("visibility", String(16), nullable=False),
    Column("share_key", String(32), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
    # its owner put its papers in an order of their own: readers get that order first
    Column("ordered", Boolean, nullable=False, server_default=false()),
    UniqueConstraint("user_id", "slug", name="uq_collections_user_slug"),
)

collection_items = Table(
    "collection_items",
    metadata,
    Column(
        "collection_id",
        Integer,
        ForeignKey("collections.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    _paper_fk(primary_key=True),
    Column("added_at", DateTime, nullable=False),
    # what the list's owner says of the paper to its readers ("read on 12 Dec"): Markdown, public
    Column("note", Text, nullable=False, server_default=""),
    Column("note_key", Text, nullable=False, server_default=""),  # as library_items'
    Column("position", Integer, nullable=False, server_default="0"),  # the list's order, from 1
    # who last wrote the note (a users.id; no foreign key: SQLite adds one to a table only
    # by copying it, and accounts are marked deleted, never removed), when, and its saves
    Column("note_by", Integer),
    Column("note_at", DateTime),
    Column("note_version", Integer, nullable=False, server_default="0"),
    # the heading it is listed under (a collection_sections.id; none: before the headings); no
    # foreign key, as note_by: the section's deletion files its papers under none first
    Column("section_id", Integer),
    Index("ix_collection_items_paper", "paper_id"),  # the public collections holding a paper
)

ratings = Table(
    "ratings",
    metadata,
    _user_fk(primary_key=True),
    _paper_fk(primary_key=True),
    Column("rating", SmallInteger, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

follows = Table(
    "follows",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _user_fk(),
    Column("kind", String(16), nullable=False),
    Column("value", String(500), nullable=False),
    Column("label", String(500), nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("user_id", "kind", "value", name="uq_follows_user_kind_value"),
)

mutes = Table(
    "mutes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _user_fk(),
    Column("kind", String(16), nullable=False),
    Column("value", String(500), nullable=False),
    Column("label", String(500), nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("user_id", "kind", "value", name="uq_mutes_user_kind_value"),
)

feed_tokens = Table(
    "feed_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    _user_fk(),
    Column("created_at", DateTime, nullable=False),
    Index("ix_feed_tokens_user", "user_id"),
)

signal_versions = Table(
    "signal_versions",
    metadata,
    _user_fk(primary_key=True),
    Column("version", Integer, nullable=False),
)


@dataclass(frozen=True)
class LibraryItem:
    """A paper in a user's library, with reading state, note and collections."""

    paper_id: str
    state: str
    note: str
    added_at: datetime
    collections: tuple[str, ...] = ()


@dataclass(frozen=True)
class Collection:
    """A named, shareable group of library papers."""

    id: int
    user_id: int
    name: str
    slug: str
    description: str
    visibility: str
    share_key: str
    ordered: bool = False  # its owner arranged its papers: "list" is its order for readers

    @property
    def order(self) -> str:
        """The order readers get unless they ask for another."""
        return "list" if self.ordered else "added"


@dataclass(frozen=True)
class Interest:
    """A follow or a mute: what kind, the matching key and the label shown."""

    kind: str
    value: str
    label: str
    created_at: datetime


class LibraryError(ValueError):
    """A request about library data that cannot be honoured (bad name, state, ...)."""


def note_key(text: str) -> str:
    """A note (or a word to find in one) as finds match it: without accents, case folded in
    Python (SQLite lowercases only ASCII), "Café ZOË" as "cafe zoe"."""
    return fold_accents(text).casefold()


# --- signal version ---------------------------------------------------------------------------


def bump_signals(conn: Connection, user_id: int) -> None:
    """Note that what the user's model learns from has changed."""
    where = signal_versions.c.user_id == user_id
    done = conn.execute(
        update(signal_versions).where(where).values(version=signal_versions.c.version + 1)
    )
    if not done.rowcount:
        conn.execute(signal_versions.insert().values(user_id=user_id, version=1))


def signal_version(conn: Connection, user_id: int) -> int:
    """The user's signal version (0 before any signal)."""
    query = select(signal_versions.c.version).where(signal_versions.c.user_id == user_id)
    return int(conn.execute(query).scalar() or 0)


# --- library ----------------------------------------------------------------------------------


def _added(conn: Connection, table: Table, row: dict[str, object]) -> bool:
    """Insert `row` unless its key is taken (a double click, or two tabs at once, that both
    found it missing): True when it was added."""
    make = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    key = next(iter(table.primary_key.columns))
    added = make(table).values(**row).on_conflict_do_nothing().returning(key)
    return conn.execute(added).first() is not None


def _added_many(conn: Connection, table: Table, rows: Sequence[dict[str, object]]) -> int:
    """Insert `rows` in one statement, skipping those whose key is taken; how many were added
    (an import saves thousands: one INSERT each took most of its time)."""
    if not rows:
        return 0
    make = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    done = conn.execute(make(table).on_conflict_do_nothing(), list(rows))
    return int(done.rowcount) if done.rowcount >= 0 else len(rows)


def save_paper(
    conn: Connection, user_id: int, paper_id: str, collection: str | None = None
) -> bool:
    """Put a paper in the library (and a collection, created if new); True when newly saved."""
    now = utcnow()
    row = {"state": "to_read", "note": "", "added_at": now, "updated_at": now}
    new = _added(conn, library_items, {"user_id": user_id, "paper_id": paper_id, **row})
    if new:
        bump_signals(conn, user_id)
    if collection:
        add_to_collection(conn, ensure_collection(conn, user_id, collection).id, paper_id)
    return new


def unsave_paper(conn: Connection, user_id: int, paper_id: str) -> bool:
    """Remove a paper from the library and the user's collections; True when it was there."""
    return unsave_papers(conn, user_id, [paper_id]) > 0


def unsave_papers(conn: Connection, user_id: int, paper_ids: Sequence[str]) -> int:
    """Remove papers from the library and the user's collections; how many were saved."""
    ids = list(paper_ids)
    mine = select(collections.c.id).where(collections.c.user_id == user_id)
    taken = conn.execute(
        delete(collection_items).where(
            collection_items.c.collection_id.in_(mine), collection_items.c.paper_id.in_(ids)
        )
    )
    if taken.rowcount:
        _touch(conn, *conn.scalars(mine))
    where = (library_items.c.user_id == user_id) & library_items.c.paper_id.in_(ids)
    gone = conn.execute(delete(library_items).where(where)).rowcount
    if gone:
        bump_signals(conn, user_id)
    return int(gone)


def save_papers(conn: Connection, user_id: int, paper_ids: Sequence[str]) -> int:
    """Put papers in the library at once (those saved already stay as they are); how many
    were new."""
    ids = list(dict.fromkeys(paper_ids))
    saved = saved_ids(conn, user_id, ids)  # once: asked per id, 10,000 ids took minutes
    new = [pid for pid in ids if pid not in saved]
    if new:
        now = utcnow()
        row = {"user_id": user_id, "state": "to_read", "note": "", "added_at": now}
        rows = [row | {"paper_id": pid, "updated_at": now} for pid in new]
        added = _added_many(conn, library_items, rows)
        bump_signals(conn, user_id)
        return added
    return 0


def copy_collection(
    conn: Connection, user_id: int, source: Collection, name: str
) -> tuple[Collection, int, int]:
    """Another reader's shared collection copied into the user's library, in their collection
    `name` (created if new): the collection, how many papers were newly saved and how many
    were added to it."""
    ids = collection_paper_ids(conn, source.id, source.order)  # its order kept as positions
    target = ensure_collection(conn, user_id, name, source.description)
    saved = save_papers(conn, user_id, ids)
    return target, saved, add_many_to_collection(conn, target.id, ids)


def update_item(
    conn: Connection, user_id: int, paper_id: str, state: str | None = None, note: str | None = None
) -> bool:
    """Change a saved paper's reading state and/or note; False when it is not saved."""
    values: dict[str, object] = {"updated_at": utcnow()}
    if state is not None:
        if state not in READING_STATES:
            raise LibraryError(f"reading state must be one of {', '.join(READING_STATES)}")
        values["state"] = state
    if note is not None:  # control characters dropped (tabs and newlines kept, as "\n")
        kept = _lines(xml_safe(note))
        values |= {"note": kept, "note_key": note_key(kept)}
    where = (library_items.c.user_id == user_id) & (library_items.c.paper_id == paper_id)
    return conn.execute(update(library_items).where(where).values(**values)).rowcount > 0


def mark_read(conn: Connection, user_id: int, paper_id: str) -> bool:
    """Mark a saved paper read; True when it was not read before."""
    where = (library_items.c.user_id == user_id) & (library_items.c.paper_id == paper_id)
    changed = update(library_items).where(where, library_items.c.state != "read")
    return conn.execute(changed.values(state="read", updated_at=utcnow())).rowcount > 0


def set_states(conn: Connection, user_id: int, paper_ids: Sequence[str], state: str) -> int:
    """Give saved papers a reading state; how many changed (those already in it, and papers
    not saved, are left)."""
    if state not in READING_STATES:
        raise LibraryError(f"reading state must be one of {', '.join(READING_STATES)}")
    where = (library_items.c.user_id == user_id) & library_items.c.paper_id.in_(list(paper_ids))
    changed = update(library_items).where(where, library_items.c.state != state)
    return int(conn.execute(changed.values(state=state, updated_at=utcnow())).rowcount)


def add_note(conn: Connection, user_id: int, paper_id: str, note: str) -> bool:
    """Add text to a saved paper's note: below what is there, unless the note already holds it.
    True when the note changed; LibraryError when it would grow past `NOTE_MAX`."""
    where = (library_items.c.user_id == user_id) & (library_items.c.paper_id == paper_id)
    current = conn.execute(select(library_items.c.note).where(where)).scalar_one_or_none()
    note = _lines(xml_safe(note)).strip()
    if current is None or not note or _words(note) in _words(current):
        return False  # held already, however its lines were wrapped or ended
    merged = f"{current.rstrip()}\n\n{note}" if current.strip() else note
    if len(merged) > NOTE_MAX:
        raise LibraryError(f"a note has at most {NOTE_MAX:,} characters")
    return update_item(conn, user_id, paper_id, note=merged)


def _lines(text: str) -> str:
    """Text with its line breaks as "\n" (a browser's form sends "\r\n")."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _words(text: str) -> str:
    """Text as its words, one space apart: to ask whether one note holds another."""
    return " ".join(text.split())


BULK_ACTIONS = ("read", "to_read", "add", "move", "take_out", "remove")
BULK_MAX = 1000  # papers changed by one bulk request


@dataclass(frozen=True)
class BulkChange:
    """What a bulk change did: how many papers it changed, which of those asked for are not
    saved (left alone), and the collection it added them to."""

    changed: int
    not_saved: tuple[str, ...]
    into: Collection | None = None


def bulk_change(
    conn: Connection,
    user_id: int,
    paper_ids: Sequence[str],
    action: str,
    into: str | None = None,
    out_of: int | None = None,
) -> BulkChange:
    """Apply one action to several saved papers at once: mark them read or to read, add them
    to the collection named `into` (created if new), move them there out of collection
    `out_of` (one the user owns or edits: checked by the caller), take them out of `out_of`,
    or remove them from the library. Papers of `out_of` added or moved are saved first (an
    editor's team list holds papers they never saved); others not saved (nor, to take out, in
    `out_of`) are reported and left alone."""
    ids = list(dict.fromkeys(paper_ids))
    if action not in BULK_ACTIONS:
        raise LibraryError(f"action is one of {', '.join(BULK_ACTIONS)}")
    if not ids:
        raise LibraryError("tick at least one paper")
    if len(ids) > BULK_MAX:
        raise LibraryError(f"at most {BULK_MAX:,} papers at once")
    if action in ("add", "move") and not (into or "").strip():
        raise LibraryError("name the collection to put them in")
    if action in ("move", "take_out") and out_of is None:
        raise LibraryError("say which collection to take them out of")
    saved = saved_ids(conn, user_id, ids)
    if action in ("take_out", "add", "move") and out_of is not None:
        # an editor acts on the list's papers they never saved themselves too; those put in
        # a collection of their own are saved to their library first, as it holds only those
        filed = set(collection_paper_ids(conn, out_of)) & set(ids)
        if action != "take_out":
            save_papers(conn, user_id, [i for i in ids if i in filed - saved])
        saved |= filed
    kept, missing = [i for i in ids if i in saved], tuple(i for i in ids if i not in saved)
    if action in ("read", "to_read"):
        return BulkChange(set_states(conn, user_id, kept, action), missing)
    if action == "remove":
        return BulkChange(unsave_papers(conn, user_id, kept), missing)
    if action == "take_out":
        assert out_of is not None
        return BulkChange(remove_many_from_collection(conn, out_of, kept), missing)
    target = ensure_collection(conn, user_id, into or "")
    changed = add_many_to_collection(conn, target.id, kept)
    if action == "move" and out_of is not None and out_of != target.id:
        changed = max(changed, remove_many_from_collection(conn, out_of, kept))
    return BulkChange(changed, missing, target)


LIBRARY_ORDERS = ("added", "published", "title")  # newest saved, newest paper, title A to Z
COLLECTION_ORDERS = (*LIBRARY_ORDERS, "list")  # and a collection's own order, as its owner set


def library(
    conn: Connection,
    user_id: int,
    collection_id: int | None = None,
    words: str = "",
    order: str = "added",
) -> list[LibraryItem]:
    """The user's saved papers in `order` (newest saved first by default; only one
    collection's when given, and then "list" is the collection's own order; only those whose
    title, authors or note (or, in a collection, its note on the paper) hold every one of
    `words`, in any case and accents or none, when given)."""
    if order not in (COLLECTION_ORDERS if collection_id is not None else LIBRARY_ORDERS):
        raise LibraryError(f"order is one of {', '.join(LIBRARY_ORDERS)}")
    query = select(library_items).where(library_items.c.user_id == user_id)
    notes: list[ColumnElement[str]] = [library_items.c.note_key]
    if collection_id is not None:
        filed = (collection_items.c.paper_id == library_items.c.paper_id) & (
            collection_items.c.collection_id == collection_id
        )
        query = query.join(collection_items, filed)
        notes.append(collection_items.c.note_key)
    query = query.where(*(_holds(w, library_items.c.paper_id, notes) for w in _find_words(words)))
    items = collection_items if order == "list" else library_items
    rows = conn.execute(_in_order(query, items, order)).all()
    names = _collection_names(conn, user_id)
    return [
        LibraryItem(r.paper_id, r.state, r.note, r.added_at, names.get(r.paper_id, ()))
        for r in rows
    ]


def find_in_collection(
    conn: Connection, collection_id: int, user_id: int, words: str, order: str = "added"
) -> list[str]:
    """Ids of the collection's papers, in `order`, whose title, authors, note in the collection
    or the user's own note hold every one of `words` (what an editor finds in a collection
    whose papers they did not all save)."""
    mine = (library_items.c.paper_id == collection_items.c.paper_id) & (
        library_items.c.user_id == user_id
    )
    query = select(collection_items.c.paper_id).outerjoin(library_items, mine)
    query = query.where(collection_items.c.collection_id == collection_id)
    notes = [collection_items.c.note_key, func.coalesce(library_items.c.note_key, "")]
    query = query.where(
        *(_holds(w, collection_items.c.paper_id, notes) for w in _find_words(words))
    )
    return list(conn.scalars(_in_order(query, collection_items, order)))


def _find_words(words: str) -> list[str]:
    return words.lower().split()[:MAX_FIND_WORDS]


def _holds(
    word: str, paper_id: ColumnElement[str], notes: Sequence[ColumnElement[str]]
) -> ColumnElement[bool]:
    """The paper `paper_id` names holds `word` in its title, an author's name or one of the
    `notes` (their `note_key`s): each paper looked up by its key, not scanned."""
    # titles and names also by their accent-free keys ("godel" finds "Gödel", "isik" Işık);
    # correlated with the outer query but `papers` (which it may join for its order)
    title_word = func.lower(papers.c.title).contains(word, autoescape=True)
    if title_folded := normalise_title(word):
        title_word = or_(title_word, papers.c.title_key.contains(title_folded, autoescape=True))
    in_title = select(papers.c.id).where(papers.c.id == paper_id, title_word)
    name_word = func.lower(paper_authors.c.name).contains(word, autoescape=True)
    if name_folded := author_key(word):
        name_word = or_(name_word, paper_authors.c.name_key.contains(name_folded, autoescape=True))
    by_author = select(paper_authors.c.paper_id).where(
        paper_authors.c.paper_id == paper_id, name_word
    )
    folded = note_key(word)
    return or_(
        *(note.contains(folded, autoescape=True) for note in notes),
        in_title.correlate_except(papers).exists(),
        by_author.correlate_except(paper_authors).exists(),
    )


def library_item(conn: Connection, user_id: int, paper_id: str) -> LibraryItem | None:
    """One saved paper of the user (None when it is not saved)."""
    where = (library_items.c.user_id == user_id) & (library_items.c.paper_id == paper_id)
    row = conn.execute(select(library_items).where(where)).first()
    if row is None:
        return None
    held = collections_holding(conn, user_id, paper_id)
    return LibraryItem(row.paper_id, row.state, row.note, row.added_at, held)


def collection_sizes(conn: Connection, user_id: int) -> dict[int, int]:
    """How many papers each of the user's collections holds (empty ones left out)."""
    mine = select(collections.c.id).where(collections.c.user_id == user_id)
    query = (
        select(collection_items.c.collection_id, func.count())
        .where(collection_items.c.collection_id.in_(mine))
        .group_by(collection_items.c.collection_id)
    )
    return {int(cid): int(n) for cid, n in conn.execute(query)}


def collections_holding(conn: Connection, user_id: int, paper_id: str) -> tuple[str, ...]:
    """The names of the user's collections that hold this paper."""
    return _collection_names(conn, user_id, paper_id).get(paper_id, ())


def _collection_names(
    conn: Connection, user_id: int, paper_id: str | None = None
) -> dict[str, tuple[str, ...]]:
    query = (
        select(collection_items.c.paper_id, collections.c.name)
        .join(collections, collections.c.id == collection_items.c.collection_id)
        .where(collections.c.user_id == user_id)
        .order_by(collections.c.name)
    )
    if paper_id is not None:
        query = query.where(collection_items.c.paper_id == paper_id)
    out: dict[str, list[str]] = {}
    for pid, name in conn.execute(query):
        out.setdefault(pid, []).append(name)
    return {k: tuple(v) for k, v in out.items()}


IN_CHUNK = 5_000  # ids per `IN (...)`: SQLite takes at most 32,766 parameters a statement


def _chunks(ids: Sequence[str]) -> list[list[str]]:
    ids = list(ids)
    return [ids[i : i + IN_CHUNK] for i in range(0, len(ids), IN_CHUNK)]


def saved_ids(conn: Connection, user_id: int, ids: Sequence[str] | None = None) -> set[str]:
    """Ids of the user's saved papers (among `ids` when given, however many)."""
    query = select(library_items.c.paper_id).where(library_items.c.user_id == user_id)
    if ids is None:
        return set(conn.scalars(query))
    listed = in_list(library_items.c.paper_id, conn.dialect.name, values=list(ids))
    return set(conn.scalars(query.where(listed)))


# --- collections ------------------------------------------------------------------------------


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
    values = {"user_id": user_id, "name": name, "slug": slug, "description": description}
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


# --- ratings ----------------------------------------------------------------------------------


def set_rating(conn: Connection, user_id: int, paper_id: str, rating: int | None) -> None:
    """Rate a paper +1 (more like this) or -1 (less like this); None clears the rating."""
    if rating not in (1, -1, None):
        raise LibraryError("a rating is 1 or -1")
    where = (ratings.c.user_id == user_id) & (ratings.c.paper_id == paper_id)
    conn.execute(delete(ratings).where(where))
    if rating is not None:  # a rating sent twice at once: the one that comes second stands
        row = {"user_id": user_id, "paper_id": paper_id, "rating": rating, "created_at": utcnow()}
        _added(conn, ratings, row)
        conn.execute(
            update(ratings).where(where).values(rating=rating, created_at=row["created_at"])
        )
    bump_signals(conn, user_id)


def user_ratings(
    conn: Connection, user_id: int, ids: Sequence[str] | None = None
) -> dict[str, int]:
    """The user's ratings by paper id (among `ids` when given)."""
    query = select(ratings.c.paper_id, ratings.c.rating).where(ratings.c.user_id == user_id)
    if ids is not None:
        query = query.where(in_list(ratings.c.paper_id, conn.dialect.name, values=list(ids)))
    return {pid: int(r) for pid, r in conn.execute(query)}


def add_ratings(conn: Connection, user_id: int, rated: dict[str, int]) -> dict[str, int]:
    """Rate many papers at once (an import), leaving any the user has rated already as they
    are: the ratings added, by paper id."""
    if any(r not in (1, -1) for r in rated.values()):
        raise LibraryError("a rating is 1 or -1")
    had = user_ratings(conn, user_id, list(rated))
    new = {pid: r for pid, r in rated.items() if pid not in had}
    now = utcnow()
    rows = [
        {"user_id": user_id, "paper_id": p, "rating": r, "created_at": now} for p, r in new.items()
    ]
    if _added_many(conn, ratings, rows):
        bump_signals(conn, user_id)
    return new


@dataclass(frozen=True)
class Rating:
    """One paper the user rated: 1 (more like this) or -1 (less like this), and when."""

    paper_id: str
    rating: int
    rated_at: datetime


def list_ratings(conn: Connection, user_id: int, limit: int | None = None) -> list[Rating]:
    """The user's ratings, newest first (the newest `limit` when given)."""
    query = select(ratings).where(ratings.c.user_id == user_id)
    query = query.order_by(ratings.c.created_at.desc(), ratings.c.paper_id).limit(limit)
    return [Rating(r.paper_id, int(r.rating), r.created_at) for r in conn.execute(query)]


def clear_ratings(conn: Connection, user_id: int) -> int:
    """Forget all of the user's ratings (the model's reset); returns how many."""
    gone = conn.execute(delete(ratings).where(ratings.c.user_id == user_id)).rowcount
    bump_signals(conn, user_id)
    return int(gone or 0)


# --- follows and mutes ------------------------------------------------------------------------


def _interest_table(what: str) -> tuple[Table, tuple[str, ...]]:
    return (follows, FOLLOW_KINDS) if what == "follow" else (mutes, MUTE_KINDS)


def add_interest(
    conn: Connection, user_id: int, what: str, kind: str, value: str, label: str
) -> bool:
    """Follow (what="follow") or mute (what="mute") something; True when new. Following what
    one muted ends the mute, and muting what one follows ends the follow: never both."""
    table, kinds = _interest_table(what)
    if kind not in kinds:
        raise LibraryError(f"you can {what} only: {', '.join(kinds)}")
    value, label = xml_safe(value), xml_safe(label)
    if not value.strip() or len(value) > INTEREST_MAX or len(label) > INTEREST_MAX:
        raise LibraryError(f"what to {what} must have 1 to {INTEREST_MAX} characters")
    row = {"user_id": user_id, "kind": kind, "value": value, "label": label or value}
    if not _added(conn, table, row | {"created_at": utcnow()}):
        return False  # followed (or muted) already
    other, _ = _interest_table("mute" if what == "follow" else "follow")
    mine = (other.c.user_id == user_id) & (other.c.kind == kind)
    conn.execute(delete(other).where(mine, _same_thing(other, kind, value)))
    bump_signals(conn, user_id)
    return True


def _same_thing(table: Table, kind: str, value: str) -> ColumnElement[bool]:
    """The follows or mutes of what `value` names: for an author, the name (a mute) and every
    follow of it, of every namesake or of one (muting the name ends them; following one of them
    ends the mute)."""
    if kind != "author":
        return table.c.value == value
    key = author_follow(value)[0]
    return (table.c.value == key) | table.c.value.startswith(key + NAMESAKE, autoescape=True)


def remove_interest(conn: Connection, user_id: int, what: str, kind: str, value: str) -> bool:
    """Unfollow or unmute; True when something was removed. A namesake's author follow is also
    found by its value folded as an author name is ("yang li a smith b chen"): how a form or
    the API hands back the value it was shown."""
    table, _ = _interest_table(what)
    value = xml_safe(value)  # as it was kept
    mine = (table.c.user_id == user_id) & (table.c.kind == kind)
    gone = conn.execute(delete(table).where(mine, table.c.value == value)).rowcount > 0
    if not gone and what == "follow" and kind == "author":
        folded = select(table.c.value).where(mine, table.c.value.contains(NAMESAKE))
        found = [v for v in conn.scalars(folded) if author_key(v) == author_key(value)]
        if found:
            gone = conn.execute(delete(table).where(mine, table.c.value == found[0])).rowcount > 0
    if gone:
        bump_signals(conn, user_id)
    return gone


def namesake_value(key: str, anchors: Sequence[str]) -> str:
    """The value of an author follow of one of the authors named `key` (a name key): the key,
    then the co-author keys that tell them apart, as many as fit (the first count most)."""
    value = key
    for i, anchor in enumerate(anchors):
        longer = value + (NAMESAKE if i == 0 else ANCHOR_SEP) + anchor
        if len(longer) > INTEREST_MAX:
            break
        value = longer
    return value


def author_follow(value: str) -> tuple[str, frozenset[str]]:
    """An author follow's name key and its anchors: the co-author keys of the namesake it
    follows (none: every author of that name)."""
    key, _, anchors = value.partition(NAMESAKE)
    return key, frozenset(a for a in anchors.split(ANCHOR_SEP) if a)


def interests(conn: Connection, user_id: int, what: str) -> list[Interest]:
    """The user's follows or mutes, oldest first."""
    table, _ = _interest_table(what)
    query = select(table).where(table.c.user_id == user_id).order_by(table.c.created_at, table.c.id)
    return [Interest(r.kind, r.value, r.label, r.created_at) for r in conn.execute(query)]


# --- private feed tokens ----------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_feed_token(conn: Connection, user_id: int) -> str:
    """Replace the user's private feed token with a new random one (the old URL stops working)."""
    conn.execute(delete(feed_tokens).where(feed_tokens.c.user_id == user_id))
    token = secrets.token_urlsafe(24)
    row = {"token_hash": _hash(token), "user_id": user_id, "created_at": utcnow()}
    conn.execute(feed_tokens.insert().values(**row))
    return token


def revoke_feed_tokens(conn: Connection, user_id: int) -> None:
    """Stop every private feed URL of the user."""
    conn.execute(delete(feed_tokens).where(feed_tokens.c.user_id == user_id))


def has_feed_token(conn: Connection, user_id: int) -> bool:
    """Whether the user has a live private feed URL."""
    query = select(func.count()).where(feed_tokens.c.user_id == user_id)
    return int(conn.execute(query).scalar_one()) > 0


def feed_token_user(conn: Connection, token: str) -> int | None:
    """The id of the user a private feed token belongs to (None while they are suspended)."""
    query = (
        select(feed_tokens.c.user_id)
        .join(users, users.c.id == feed_tokens.c.user_id)
        .where(feed_tokens.c.token_hash == _hash(token), users.c.suspended_at.is_(None))
    )
    found = conn.execute(query).scalar()
    return int(found) if found is not None else None


# --- what a recommender learns from -----------------------------------------------------------


@dataclass(frozen=True)
class PaperSignal:
    """One paper the user acted on: how (library, collection, rating, upvote, submission), sign
    and when."""

    paper_id: str
    source: str
    sign: int
    at: datetime


def paper_signals(conn: Connection, user_id: int) -> list[PaperSignal]:
    """Every paper-level signal of the user: library, ratings, upvotes and submissions."""
    out = [
        PaperSignal(r.paper_id, "library", 1, r.added_at)
        for r in conn.execute(select(library_items).where(library_items.c.user_id == user_id))
    ]
    for r in conn.execute(select(ratings).where(ratings.c.user_id == user_id)):
        out.append(PaperSignal(r.paper_id, "rating", int(r.rating), r.created_at))
    for r in conn.execute(select(votes).where(votes.c.user_id == user_id)):
        out.append(PaperSignal(r.paper_id, "upvote", 1, r.created_at))
    for r in conn.execute(select(submissions).where(submissions.c.user_id == user_id)):
        out.append(PaperSignal(r.paper_id, "submission", 1, r.created_at))
    return out


def has_positives(conn: Connection, user_id: int) -> bool:
    """Whether the user gave anything For you ranks towards: a saved paper, a 👍, a follow, an
    upvote or a submission (a 👎 or a mute alone only says what to leave out)."""
    sources = (
        (library_items, library_items.c.user_id == user_id),
        (ratings, (ratings.c.user_id == user_id) & (ratings.c.rating > 0)),
        (follows, follows.c.user_id == user_id),
        (votes, votes.c.user_id == user_id),
        (submissions, submissions.c.user_id == user_id),
    )
    return any(
        conn.execute(select(table.c.user_id).where(where).limit(1)).first() is not None
        for table, where in sources
    )


def collection_signals(conn: Connection, collection_id: int) -> list[PaperSignal]:
    """A collection's papers as positive signals, dated when they were put in it."""
    query = select(collection_items).where(collection_items.c.collection_id == collection_id)
    return [PaperSignal(r.paper_id, "collection", 1, r.added_at) for r in conn.execute(query)]


def vector_contract(conn: Connection) -> tuple[str, int] | None:
    """The embedding contract holding the most stored vectors, and its dimension."""
    rows = conn.execute(select(embedding_contracts.c.id, embedding_contracts.c.dim)).all()
    if len(rows) > 1:
        count = func.count()
        query = (
            select(paper_vectors.c.contract_id, count)
            .group_by(paper_vectors.c.contract_id)
            .order_by(count.desc())
        )
        best = conn.execute(query).first()
        rows = [r for r in rows if best and r.id == best[0]] or rows[:1]
    return (str(rows[0].id), int(rows[0].dim)) if rows else None


def match_papers(
    conn: Connection, arxiv_ids: Sequence[str], dois: Sequence[str], title_keys: Sequence[str]
) -> tuple[set[str], dict[str, str], dict[str, str]]:
    """Stored ids among `arxiv_ids`, and stored paper ids by lower-case DOI and by title key."""
    found: set[str] = set()
    if arxiv_ids:
        query = select(papers.c.id).where(papers.c.id.in_(list(set(arxiv_ids))))
        found = set(conn.scalars(query))
    by_doi: dict[str, str] = {}
    if dois:
        query = select(func.lower(papers.c.doi), papers.c.id).where(
            func.lower(papers.c.doi).in_(list(set(dois)))
        )
        by_doi = {d: pid for d, pid in conn.execute(query)}
    return found, by_doi, find_by_title_keys(conn, list(set(title_keys)))


def coauthors(conn: Connection, key: str, limit: int = 12) -> list[tuple[str, int]]:
    """An author's most frequent co-authors (name, shared papers), to tell namesakes apart."""
    mine = select(paper_authors.c.paper_id).where(paper_authors.c.name_key == key)
    count = func.count()
    query = (
        select(func.min(paper_authors.c.name), count)
        .where(paper_authors.c.paper_id.in_(mine), paper_authors.c.name_key != key)
        .group_by(paper_authors.c.name_key)
        .order_by(count.desc(), func.min(paper_authors.c.name))
        .limit(limit)
    )
    return [(str(name), int(n)) for name, n in conn.execute(query)]


NAME_PAPERS = 2000  # the newest papers under a name that namesakes are told apart by


@dataclass(frozen=True)
class NamedPaper:
    """A paper under an author's name: its title, categories (primary first) and every
    author, as (name, key) in order."""

    id: str
    title: str
    categories: tuple[str, ...]
    authors: tuple[tuple[str, str], ...]


def papers_under_name(conn: Connection, key: str, limit: int = NAME_PAPERS) -> list[NamedPaper]:
    """The newest visible papers with an author of this name key, with their authors and
    categories: what tells namesakes apart."""
    mine = select(paper_authors.c.paper_id).where(paper_authors.c.name_key == key)
    newest = func.coalesce(papers.c.published, papers.c.first_seen).desc()
    query = (
        select(papers.c.id, papers.c.title)
        .where(papers.c.id.in_(mine), papers.c.hidden.is_(False))
        .order_by(newest, papers.c.id.desc())
        .limit(limit)
    )
    rows = conn.execute(query).all()
    ids = [r.id for r in rows]
    authors: dict[str, list[tuple[str, str]]] = {}
    cats: dict[str, list[str]] = {}
    for chunk in _chunks(ids):
        by = paper_authors.c
        named = select(by.paper_id, by.name, by.name_key).where(by.paper_id.in_(chunk))
        for pid, name, name_key in conn.execute(named.order_by(by.paper_id, by.position)):
            authors.setdefault(pid, []).append((name, name_key))
        pc = paper_categories.c
        listed = select(pc.paper_id, pc.category).where(pc.paper_id.in_(chunk))
        for pid, category in conn.execute(listed.order_by(pc.paper_id, pc.position)):
            cats.setdefault(pid, []).append(category)
    return [
        NamedPaper(r.id, r.title, tuple(cats.get(r.id, ())), tuple(authors.get(r.id, ())))
        for r in rows
    ]
