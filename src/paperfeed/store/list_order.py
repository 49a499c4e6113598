"""A collection's own order: its owner (or an editor) puts a paper at a place in the list, as a
reading list for a course runs week by week; readers then get the list in that order."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, update

from paperfeed.store.library import (
    _touch,
    collection_items,
    collection_paper_ids,
    collections,
)


def move_in_list(conn: Connection, collection_id: int, paper_id: str, to: int) -> int | None:
    """Put a paper of the collection at place `to` of its list (from 1; beyond either end
    means that end), the others keeping their order, and make the list the collection's order:
    the place it took, or None when the paper is not in the collection."""
    ids = collection_paper_ids(conn, collection_id, "list")
    if paper_id not in ids:
        return None
    ids.remove(paper_id)
    place = min(max(to, 1), len(ids) + 1)
    ids.insert(place - 1, paper_id)
    _number(conn, collection_id, ids)
    conn.execute(update(collections).where(collections.c.id == collection_id).values(ordered=True))
    _touch(conn, collection_id)
    return place


def _number(conn: Connection, collection_id: int, ids: list[str]) -> None:
    """Positions 1, 2, ... for `ids`, in one statement (a list's every row: the earlier
    positions may have been unset, all 0)."""
    write = (
        update(collection_items)
        .where(
            collection_items.c.collection_id == collection_id,
            collection_items.c.paper_id == bindparam("b_paper"),
        )
        .values(position=bindparam("b_position"))
    )
    rows = [{"b_paper": pid, "b_position": n} for n, pid in enumerate(ids, 1)]
    conn.execute(write, rows)
