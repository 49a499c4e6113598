"""The library's items: saving papers, states, notes, bulk changes, listing and finding them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, delete, func, or_, select, update

from paperfeed.models import normalise_title
from paperfeed.store.library.collection_rows import (
    _in_order,
    _touch,
    add_many_to_collection,
    add_to_collection,
    collection_paper_ids,
    ensure_collection,
    remove_many_from_collection,
)
from paperfeed.store.library.signals import bump_signals
from paperfeed.store.library.tables import (
    MAX_FIND_WORDS,
    NOTE_MAX,
    READING_STATES,
    Collection,
    LibraryError,
    LibraryItem,
    _added,
    _added_many,
    _lines,
    _words,
    collection_items,
    collections,
    library_items,
    note_key,
)
from paperfeed.store.papers import author_key
from paperfeed.store.sql import in_list
from paperfeed.store.tables import paper_authors, papers
from paperfeed.text import xml_safe
from paperfeed.util import utcnow


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


def saved_ids(conn: Connection, user_id: int, ids: Sequence[str] | None = None) -> set[str]:
    """Ids of the user's saved papers (among `ids` when given, however many)."""
    query = select(library_items.c.paper_id).where(library_items.c.user_id == user_id)
    if ids is None:
        return set(conn.scalars(query))
    listed = in_list(library_items.c.paper_id, conn.dialect.name, values=list(ids))
    return set(conn.scalars(query.where(listed)))
