"""What a recommender learns from, and the version that tells a cached model it is stale."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select, update

from paperfeed.store.accounts import submissions, votes
from paperfeed.store.library.tables import (
    _chunks,
    collection_items,
    follows,
    library_items,
    ratings,
    signal_versions,
)
from paperfeed.store.papers import find_by_title_keys
from paperfeed.store.search_store import embedding_contracts, paper_vectors
from paperfeed.store.tables import paper_authors, paper_categories, papers


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
