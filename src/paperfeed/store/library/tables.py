"""The personal tables (library, collections, ratings, follows, mutes, feed tokens), their rows."""

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
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects import postgresql, sqlite

from paperfeed.store.tables import metadata
from paperfeed.text import fold_accents

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


def _lines(text: str) -> str:
    """Text with its line breaks as "\n" (a browser's form sends "\r\n")."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _words(text: str) -> str:
    """Text as its words, one space apart: to ask whether one note holds another."""
    return " ".join(text.split())


IN_CHUNK = 5_000  # ids per `IN (...)`: SQLite takes at most 32,766 parameters a statement


def _chunks(ids: Sequence[str]) -> list[list[str]]:
    ids = list(ids)
    return [ids[i : i + IN_CHUNK] for i in range(0, len(ids), IN_CHUNK)]
