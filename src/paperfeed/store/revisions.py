"""Papers of a shared collection revised on arXiv after they were put in it (the camera-ready v2
a workshop's readers wait for). A revision counts from when the store read it in (0048), or,
for one read in before then, from its version's submission date, or the paper's `updated`
where its versions are not known (a paper read through the arXiv API): a v2 read in late,
dated before the last digest, is still news."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, case, func, null, select

from paperfeed.store.collection_editors import collection_editors
from paperfeed.store.library import Collection, collection_items
from paperfeed.store.shared_lists import followed_collections
from paperfeed.store.sql import in_list
from paperfeed.store.tables import papers, versions


def _revised_at() -> ColumnElement[Any]:
    """When the store read in the paper's latest version (else when it was submitted), if it is
    v2 or later (else NULL)."""
    latest = (
        select(versions.c.created)
        .where(versions.c.paper_id == papers.c.id, versions.c.version == papers.c.version)
        .scalar_subquery()
    )
    dated = func.coalesce(papers.c.version_stored_at, latest, papers.c.updated)
    return case((papers.c.version > 1, dated), else_=null())


def _revised_items() -> Any:
    """A collection's items joined to their papers, those revised since put in it."""
    return (
        select(collection_items.c.collection_id, collection_items.c.paper_id)
        .join(papers, papers.c.id == collection_items.c.paper_id)
        .where(_revised_at() > collection_items.c.added_at, papers.c.hidden.is_(False))
    )


def revised_since_added(conn: Connection, collection_id: int, paper_ids: Sequence[str]) -> set[str]:
    """Which of these papers of the collection had a new version after they were put in it."""
    query = _revised_items().where(
        collection_items.c.collection_id == collection_id,
        in_list(collection_items.c.paper_id, conn.dialect.name, values=list(paper_ids)),
    )
    return {str(r.paper_id) for r in conn.execute(query)}


@dataclass(frozen=True)
class Revised:
    """A followed collection and how many of its papers have new versions."""

    collection: Collection
    papers: int


def followed_revisions(
    conn: Connection, user_id: int, since: datetime, until: datetime | None = None
) -> list[Revised]:
    """The collections the user follows, but does not edit, whose papers had new versions after
    `since` (up to `until`) and after they were put in them, by name, with how many."""
    followed = {c.id: c for c in followed_collections(conn, user_id)}
    if not followed:
        return []
    edited = select(collection_editors.c.collection_id).where(
        collection_editors.c.user_id == user_id
    )
    items = _revised_items().where(
        in_list(collection_items.c.collection_id, conn.dialect.name, values=list(followed)),
        collection_items.c.collection_id.not_in(edited),
        _revised_at() > since,
    )
    if until is not None:  # read in later: the next digest's
        items = items.where(_revised_at() <= until)
    sub = items.subquery()
    query = select(sub.c.collection_id, func.count()).group_by(sub.c.collection_id)
    counts = {int(cid): int(n) for cid, n in conn.execute(query)}
    return [Revised(c, counts[cid]) for cid, c in followed.items() if counts.get(cid)]


def read_in_since_added(
    conn: Connection, collection_id: int, paper_ids: Sequence[str]
) -> dict[str, datetime]:
    """When the store read in the new version of each of these papers of the collection that
    has one newer than its place there (known for versions read in since 0048)."""
    query = (
        select(collection_items.c.paper_id, papers.c.version_stored_at)
        .join(papers, papers.c.id == collection_items.c.paper_id)
        .where(
            collection_items.c.collection_id == collection_id,
            in_list(collection_items.c.paper_id, conn.dialect.name, values=list(paper_ids)),
            papers.c.version_stored_at > collection_items.c.added_at,
        )
    )
    return {str(r.paper_id): r.version_stored_at for r in conn.execute(query)}
