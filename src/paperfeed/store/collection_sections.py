"""Sections of a collection: headings its editors give it ("Oral 1: Retrieval", "Week 3"),
in an order of their own, each paper listed under one of them or under none (those first).

A heading is plain text of up to `TITLE_MAX` characters. Deleting a section keeps its papers,
under no heading; deleting the collection deletes its sections (by cascade).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Update,
    bindparam,
    delete,
    select,
    update,
)

from paperfeed.store.library import LibraryError, collection_items, touch_collections
from paperfeed.store.tables import metadata
from paperfeed.text import xml_safe
from paperfeed.util import utcnow

TITLE_MAX = 200  # characters in a section's heading
SECTIONS_MAX = 500  # sections in one collection: a conference's programme has a few dozen

collection_sections = Table(
    "collection_sections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "collection_id",
        Integer,
        ForeignKey("collections.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("title", String(TITLE_MAX), nullable=False),
    Column("position", Integer, nullable=False),  # its place among the collection's, from 1
    Column("created_at", DateTime, nullable=False),
    Index("ix_collection_sections_collection", "collection_id", "position"),
)


@dataclass(frozen=True)
class Section:
    """A heading of a collection, and its place among the collection's headings (from 1)."""

    id: int
    collection_id: int
    title: str
    position: int


def section_title(text: str) -> str:
    """A heading with its spaces tidied; LibraryError when it is empty or too long."""
    title = " ".join(xml_safe(text).split())
    if not title:
        raise LibraryError("a section needs a heading")
    if len(title) > TITLE_MAX:
        raise LibraryError(f"a section's heading has at most {TITLE_MAX} characters")
    return title


def sections(conn: Connection, collection_id: int) -> list[Section]:
    """A collection's sections in their order."""
    s = collection_sections.c
    query = select(s.id, s.collection_id, s.title, s.position).where(
        s.collection_id == collection_id
    )
    return [Section(*row) for row in conn.execute(query.order_by(s.position, s.id))]


def add_section(conn: Connection, collection_id: int, title: str) -> Section:
    """A new section at the end of the collection's; LibraryError for a bad heading, one the
    collection has already (case aside), or when it has `SECTIONS_MAX` already."""
    title = section_title(title)
    there = sections(conn, collection_id)
    _refuse_taken(there, title)
    if len(there) >= SECTIONS_MAX:
        raise LibraryError(f"a collection has at most {SECTIONS_MAX} sections")
    position = len(there) + 1
    values = {"collection_id": collection_id, "title": title, "position": position}
    new_id = conn.execute(
        collection_sections.insert().values(**values, created_at=utcnow())
    ).inserted_primary_key[0]  # type: ignore[index]
    touch_collections(conn, collection_id)
    return Section(int(new_id), collection_id, title, position)


def section_named(conn: Connection, collection_id: int, title: str) -> Section:
    """The collection's section of this heading (case aside), added at the end if new."""
    title = section_title(title)
    folded = title.casefold()
    found = next((s for s in sections(conn, collection_id) if s.title.casefold() == folded), None)
    return found or add_section(conn, collection_id, title)


def rename_section(conn: Connection, collection_id: int, section_id: int, title: str) -> bool:
    """Give a section a new heading; False when the collection has no such section,
    LibraryError for a bad heading or another section's (case aside)."""
    title = section_title(title)
    _refuse_taken([s for s in sections(conn, collection_id) if s.id != section_id], title)
    query = update(collection_sections).where(_its(collection_id, section_id))
    renamed = conn.execute(query.values(title=title)).rowcount > 0
    touch_collections(conn, collection_id)
    return renamed


def move_section(conn: Connection, collection_id: int, section_id: int, to: int) -> bool:
    """Put a section at place `to` (from 1; past the end: last), the others after it moving
    down one; False when the collection has no such section."""
    order = [s.id for s in sections(conn, collection_id)]
    if section_id not in order:
        return False
    order.remove(section_id)
    order.insert(max(to, 1) - 1, section_id)
    _number(conn, order)
    _arrange(conn, collection_id)
    return True


def delete_section(conn: Connection, collection_id: int, section_id: int) -> bool:
    """Delete a section; its papers stay in the collection, under no heading. False when the
    collection has no such section."""
    items = collection_items.c
    filed = (items.collection_id == collection_id) & (items.section_id == section_id)
    conn.execute(update(collection_items).where(filed).values(section_id=None))
    gone = conn.execute(delete(collection_sections).where(_its(collection_id, section_id)))
    if gone.rowcount:
        _renumber(conn, collection_id)
        _arrange(conn, collection_id)
    return gone.rowcount > 0


def file_papers(conn: Connection, collection_id: int, placed: Mapping[str, int | None]) -> int:
    """List papers of the collection under sections of it (None: under none); how many of
    them the collection holds. LibraryError when a section is not the collection's."""
    own = {s.id for s in sections(conn, collection_id)}
    if any(sid is not None and sid not in own for sid in placed.values()):
        raise LibraryError("no such section in this collection")
    items = collection_items.c
    held = select(items.paper_id).where(items.collection_id == collection_id)
    there = set(conn.scalars(held)) & set(placed)
    rows = [{"pid": pid, "value": placed[pid]} for pid in there]
    if rows:  # one statement for them all: a programme of thousands is filed at once
        conn.execute(_item_update(collection_id, items.section_id), rows)
    _arrange(conn, collection_id)
    return len(there)


def paper_sections(conn: Connection, collection_id: int) -> dict[str, Section]:
    """The section each paper of the collection is listed under (those under none left out)."""
    by_id = {s.id: s for s in sections(conn, collection_id)}
    items = collection_items.c
    query = select(items.paper_id, items.section_id).where(
        items.collection_id == collection_id, items.section_id.is_not(None)
    )
    return {pid: by_id[sid] for pid, sid in conn.execute(query) if sid in by_id}


def arranged(paper_ids: Sequence[str], placed: Mapping[str, Section]) -> list[str]:
    """Paper ids grouped by section in the sections' order, those under none first, each
    group keeping the order it had."""

    def place(pid: str) -> int:
        section = placed.get(pid)
        return section.position if section else 0

    return sorted(paper_ids, key=place)


def _refuse_taken(others: Sequence[Section], title: str) -> None:
    """LibraryError when one of `others` has this heading (case aside): a heading names one
    section, as an import finds it again by its words (`section_named`)."""
    folded = title.casefold()
    if any(s.title.casefold() == folded for s in others):
        raise LibraryError(f"this collection has a section “{title}” already")


def _its(collection_id: int, section_id: int) -> ColumnElement[bool]:
    s = collection_sections.c
    return (s.collection_id == collection_id) & (s.id == section_id)


def _renumber(conn: Connection, collection_id: int) -> None:
    """Number a collection's sections 1, 2, … again in their order (one was deleted)."""
    _number(conn, [s.id for s in sections(conn, collection_id)])


def _number(conn: Connection, order: Sequence[int]) -> None:
    """Give sections the places of their ids in `order` (from 1), in one statement."""
    query = update(collection_sections).where(collection_sections.c.id == bindparam("sid"))
    rows = [{"sid": sid, "place": n} for n, sid in enumerate(order, 1)]
    if rows:
        conn.execute(query.values(position=bindparam("place")), rows)


def _arrange(conn: Connection, collection_id: int) -> None:
    """Number the collection's papers in its list as they show, section by section, so that
    Move up, Move down and a place typed count places as the reader sees them."""
    items = collection_items.c
    query = select(items.paper_id, items.position).where(items.collection_id == collection_id)
    rows = conn.execute(query.order_by(items.position, items.added_at, items.paper_id)).all()
    order = arranged([pid for pid, _ in rows], paper_sections(conn, collection_id))
    was = dict(rows)
    moved = [{"pid": pid, "value": n} for n, pid in enumerate(order, 1) if was[pid] != n]
    if moved:  # one statement for them all: a section moved shifts thousands of papers
        conn.execute(_item_update(collection_id, items.position), moved)
    touch_collections(conn, collection_id)


def _item_update(collection_id: int, column: Column[int]) -> Update:
    """An update of one column of the collection's papers, run once for many (`pid`, `value`)."""
    items = collection_items.c
    where = (items.collection_id == collection_id) & (items.paper_id == bindparam("pid"))
    return update(collection_items).where(where).values({column: bindparam("value")})


def copy_sections(conn: Connection, source_id: int, target_id: int) -> int:
    """Give a copy of a collection its sections (found by heading, added when new) and its
    papers under them, those the copy has under none; how many papers were filed."""
    items = collection_items.c
    unfiled = select(items.paper_id).where(
        items.collection_id == target_id, items.section_id.is_(None)
    )
    free = set(conn.scalars(unfiled))
    theirs = paper_sections(conn, source_id)
    used = {s.id for s in theirs.values()}
    # in the source's order, so that the copy's headings come as the source's do
    made = {
        s.id: section_named(conn, target_id, s.title).id
        for s in sections(conn, source_id)
        if s.id in used
    }
    placed: dict[str, int | None] = {
        pid: made[section.id] for pid, section in theirs.items() if pid in free
    }
    return file_papers(conn, target_id, placed) if placed else 0
