"""Papers a digest may carry, what ranking reads of them, and what each reader was sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, func, select

from paperfeed.store.digest_tables import outbox, sent_papers
from paperfeed.store.digests.subscriber_rows import _CHUNK
from paperfeed.store.tables import paper_authors, paper_categories, papers, signals
from paperfeed.util import chunks


def latest_listing_day(conn: Connection) -> date | None:
    """The most recent listing day in the store."""
    query = select(func.max(papers.c.listing_date)).where(papers.c.hidden.is_(False))
    return conn.execute(query).scalar_one()  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Candidate:
    """A paper a digest may carry, with what ranking needs."""

    id: str
    title: str
    abstract: str
    authors: tuple[str, ...]
    author_keys: tuple[str, ...]
    categories: tuple[str, ...]
    upvotes: int
    stars: int
    listing_date: date | None
    featured: bool = False  # put first on the trending page by an editor


def candidates(
    conn: Connection, start: date, end: date, stored_since: datetime | None = None
) -> list[Candidate]:
    """Visible papers first listed between two days (inclusive), oldest id first; with
    `stored_since`, only those put on their day at or after it (stored, or given the day)."""
    query = (
        select(papers.c.id, papers.c.title, papers.c.abstract, papers.c.listing_date)
        .where(papers.c.listing_date >= start, papers.c.listing_date <= end)
        .where(papers.c.hidden.is_(False), papers.c.withdrawn.is_(False))
        .order_by(papers.c.id)
    )
    if stored_since is not None:
        query = query.where(papers.c.listed_at >= stored_since)
    return _as_candidates(conn, conn.execute(query).all())


def candidates_of(conn: Connection, ids: Sequence[str]) -> list[Candidate]:
    """These papers, those visible, as candidates (papers new in a followed collection)."""
    out: list[Candidate] = []
    for chunk in chunks(list(ids), _CHUNK):
        query = (
            select(papers.c.id, papers.c.title, papers.c.abstract, papers.c.listing_date)
            .where(papers.c.id.in_(chunk))
            .where(papers.c.hidden.is_(False), papers.c.withdrawn.is_(False))
        )
        out += _as_candidates(conn, conn.execute(query).all())
    return out


def _as_candidates(conn: Connection, rows: Sequence[Row[Any, Any, Any, Any]]) -> list[Candidate]:
    ids = [r.id for r in rows]
    authors, cats, sig = _authors(conn, ids), _categories(conn, ids), _signals(conn, ids)
    return [
        Candidate(
            id=r.id,
            title=r.title,
            abstract=r.abstract,
            authors=tuple(a for a, _ in authors.get(r.id, [])),
            author_keys=tuple(k for _, k in authors.get(r.id, [])),
            categories=tuple(cats.get(r.id, [])),
            upvotes=sig.get(r.id, (0, 0))[0],
            stars=sig.get(r.id, (0, 0))[1],
            listing_date=r.listing_date,
        )
        for r in rows
    ]


def _authors(conn: Connection, ids: list[str]) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for chunk in chunks(ids, _CHUNK):
        query = (
            select(paper_authors.c.paper_id, paper_authors.c.name, paper_authors.c.name_key)
            .where(paper_authors.c.paper_id.in_(chunk))
            .order_by(paper_authors.c.paper_id, paper_authors.c.position)
        )
        for pid, name, key in conn.execute(query):
            out.setdefault(pid, []).append((name, key))
    return out


def _categories(conn: Connection, ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for chunk in chunks(ids, _CHUNK):
        query = (
            select(paper_categories.c.paper_id, paper_categories.c.category)
            .where(paper_categories.c.paper_id.in_(chunk))
            .order_by(paper_categories.c.paper_id, paper_categories.c.position)
        )
        for pid, cat in conn.execute(query):
            out.setdefault(pid, []).append(cat)
    return out


def _signals(conn: Connection, ids: list[str]) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for chunk in chunks(ids, _CHUNK):
        query = select(signals).where(signals.c.paper_id.in_(chunk))
        for r in conn.execute(query):
            out[r.paper_id] = (r.upvotes or 0, r.github_stars or 0)
    return out


def paper_titles(conn: Connection, ids: Sequence[str]) -> dict[str, str]:
    """Titles of stored papers by id (for seed-paper reasons and checks)."""
    out: dict[str, str] = {}
    for chunk in chunks(list(ids), _CHUNK):
        query = select(papers.c.id, papers.c.title).where(papers.c.id.in_(chunk))
        out.update({pid: title for pid, title in conn.execute(query)})
    return out


def sent_paper_ids(
    conn: Connection, subscriber_ids: Sequence[int], paper_ids: Sequence[str]
) -> dict[int, set[str]]:
    """Which of the given papers each subscriber has already been sent."""
    out: dict[int, set[str]] = {}
    wanted = set(subscriber_ids)
    for chunk in chunks(list(paper_ids), _CHUNK):
        query = select(sent_papers.c.subscriber_id, sent_papers.c.paper_id).where(
            sent_papers.c.paper_id.in_(chunk)
        )
        for sid, pid in conn.execute(query):
            if sid in wanted:
                out.setdefault(sid, set()).add(pid)
    return out


def last_digest_at(conn: Connection, subscriber_id: int) -> datetime | None:
    """When the subscriber's latest digest was composed (an empty one too), if ever."""
    query = select(func.max(outbox.c.created_at)).where(
        outbox.c.subscriber_id == subscriber_id, outbox.c.kind == "digest"
    )
    return conn.execute(query).scalar_one()  # type: ignore[no-any-return]
