"""Search tables and queries: embedding contracts, stored vectors, papers to (re)index.

Vectors are stored as little-endian float16 bytes (`dim * 2` bytes per paper): half the size of
float32, and the rounding (about 1e-3 relative) does not change rankings measurably.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Join,
    LargeBinary,
    String,
    Table,
    Text,
    and_,
    delete,
    func,
    or_,
    select,
    tuple_,
)

from paperfeed.store.tables import metadata, paper_authors, paper_categories, papers
from paperfeed.util import chunks, utcnow

VECTOR_DTYPE = np.dtype("<f2")
_CHUNK = 500

embedding_contracts = Table(
    "embedding_contracts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("model", Text, nullable=False),
    Column("revision", Text, nullable=False),
    Column("dim", Integer, nullable=False),
    Column("normalisation", String(32), nullable=False),
    Column("recipe", Text, nullable=False),
    Column("spec", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

paper_vectors = Table(
    "paper_vectors",
    metadata,
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "contract_id",
        String(64),
        ForeignKey("embedding_contracts.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("text_hash", String(64), nullable=False),
    Column("vector", LargeBinary, nullable=False),
    Column("embedded_at", DateTime, nullable=False),
    Column("checked_at", DateTime, nullable=False),
    Index("ix_paper_vectors_contract_embedded", "contract_id", "embedded_at"),
)


@dataclass(frozen=True)
class IndexRow:
    """What the keyword index needs of one paper."""

    id: str
    title: str
    abstract: str
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    day: date | None
    changed_at: datetime
    hidden: bool
    comments: str = ""  # arXiv's comments ("Accepted at ICML 2026") and journal reference
    journal_ref: str = ""


@dataclass(frozen=True)
class TextRow:
    """A paper's text for embedding and the hash of its stored vector's text, if any."""

    id: str
    title: str
    abstract: str
    stored_hash: str | None


# --- papers for the keyword index -------------------------------------------------------------


_INDEXED = (
    papers.c.id,
    papers.c.title,
    papers.c.abstract,
    papers.c.listing_date,
    papers.c.published,
    papers.c.changed_at,
    papers.c.hidden,
    papers.c.comments,
    papers.c.journal_ref,
)


def changed_papers(
    conn: Connection,
    after: tuple[datetime, str] | None,
    batch: int = 2000,
    applied: Mapping[str, datetime] | None = None,
) -> Iterator[list[IndexRow]]:
    """Papers whose (changed_at, id) comes after `after` (all when None), in that order, batched.

    Rows already `applied` at the same `changed_at` come as placeholders without text, authors
    or categories (the caller skips them; only their place in the order matters). With rows
    applied, only the keys are read first: after a large import every refresh reads the
    unsettled rows again, and their text is not needed then.
    """
    cursor, applied = after, applied or {}
    while True:
        query = select(*((papers.c.id, papers.c.changed_at) if applied else _INDEXED))
        query = query.order_by(papers.c.changed_at, papers.c.id)
        if cursor is not None:  # the first condition lets the changed_at index narrow the scan
            query = query.where(
                papers.c.changed_at >= cursor[0], tuple_(papers.c.changed_at, papers.c.id) > cursor
            )
        rows = conn.execute(query.limit(batch)).all()
        if not rows:
            return
        if applied:
            need = [r.id for r in rows if applied.get(r.id) != r.changed_at]
            found = {r.id: r for r in _index_rows(conn, _full_rows(conn, need))}
            yield [
                found.get(r.id) or _placeholder(r.id, r.changed_at, r.id in applied) for r in rows
            ]
        else:
            yield _index_rows(conn, rows)
        cursor = (rows[-1].changed_at, rows[-1].id)


def _full_rows(conn: Connection, ids: Sequence[str]) -> list[Any]:
    return [
        row
        for chunk in chunks(ids, _CHUNK)
        for row in conn.execute(select(*_INDEXED).where(papers.c.id.in_(chunk)))
    ]


def _placeholder(pid: str, changed_at: datetime, applied: bool) -> IndexRow:
    """A row in the order only: applied already, or gone between the two reads (then hidden, so
    the index drops it)."""
    return IndexRow(pid, "", "", (), (), None, changed_at, hidden=not applied)


def _index_rows(conn: Connection, rows: Sequence[Any]) -> list[IndexRow]:
    """The keyword index's rows of these papers, with their authors and categories."""
    ids = [r.id for r in rows]
    authors = _grouped(conn, paper_authors.c.name, paper_authors.c.position, ids)
    cats = _grouped(conn, paper_categories.c.category, paper_categories.c.position, ids)
    return [
        IndexRow(
            id=r.id,
            title=r.title,
            abstract=r.abstract or "",
            authors=tuple(authors.get(r.id, ())),
            categories=tuple(cats.get(r.id, ())),
            day=r.listing_date or (r.published.date() if r.published else None),
            changed_at=r.changed_at,
            hidden=bool(r.hidden),
            comments=r.comments or "",
            journal_ref=r.journal_ref or "",
        )
        for r in rows
    ]


def _grouped(
    conn: Connection, value: Column[str], position: Column[int], ids: Sequence[str]
) -> dict[str, list[str]]:
    table = value.table
    out: dict[str, list[str]] = {}
    for chunk in chunks(ids, _CHUNK):
        query = (
            select(table.c.paper_id, value)
            .where(table.c.paper_id.in_(chunk))
            .order_by(table.c.paper_id, position)
        )
        for pid, v in conn.execute(query):
            out.setdefault(pid, []).append(v)
    return out


# --- embedding contracts --------------------------------------------------------------------


def ensure_contract(conn: Connection, contract_id: str, spec: dict[str, object]) -> None:
    """Record an embedding contract (idempotent) in the caller's transaction."""
    found = conn.execute(
        select(embedding_contracts.c.id).where(embedding_contracts.c.id == contract_id)
    ).first()
    if found:
        return
    conn.execute(
        embedding_contracts.insert().values(
            id=contract_id,
            model=str(spec.get("model", "")),
            revision=str(spec.get("revision", "")),
            dim=int(spec.get("dim", 0)),  # type: ignore[call-overload]
            normalisation=str(spec.get("normalisation") or _normalisation(spec)),
            recipe=str(spec.get("recipe", "")),
            spec=json.dumps(spec, sort_keys=True),
            created_at=utcnow(),
        )
    )


def _normalisation(spec: dict[str, object]) -> str:
    return "l2" if spec.get("normalised") else "none"


def count_papers(conn: Connection) -> int:
    """How many papers the store holds (what a search index built from scratch reads)."""
    return int(conn.execute(select(func.count()).select_from(papers)).scalar_one())


def shown_titles(conn: Connection, ids: Sequence[str]) -> dict[str, str]:
    """The titles of these papers that are stored and not hidden, by id."""
    query = select(papers.c.id, papers.c.title).where(~papers.c.hidden)
    return {
        row.id: row.title
        for chunk in chunks(ids, _CHUNK)
        for row in conn.execute(query.where(papers.c.id.in_(chunk)))
    }


def venue_texts(conn: Connection, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """arXiv's comments and journal reference of these papers, by id (those with neither left
    out): what the keyword index's `venue` field searches but does not keep."""
    query = select(papers.c.id, papers.c.comments, papers.c.journal_ref).where(
        (papers.c.comments != "") | (papers.c.journal_ref != "")
    )
    return {
        row.id: (row.comments or "", row.journal_ref or "")
        for chunk in chunks(ids, _CHUNK)
        for row in conn.execute(query.where(papers.c.id.in_(chunk)))
    }


def count_vectors(conn: Connection, contract_id: str) -> int:
    """How many papers have a vector under this contract."""
    query = select(func.count()).where(paper_vectors.c.contract_id == contract_id)
    return int(conn.execute(query).scalar_one())


# --- papers to embed and vectors ------------------------------------------------------------


def _stale_condition(contract_id: str) -> tuple[Join, ColumnElement[bool]]:
    joined = papers.outerjoin(
        paper_vectors,
        and_(paper_vectors.c.paper_id == papers.c.id, paper_vectors.c.contract_id == contract_id),
    )
    stale = or_(
        paper_vectors.c.paper_id.is_(None), papers.c.changed_at > paper_vectors.c.checked_at
    )
    return joined, stale


def count_to_embed(conn: Connection, contract_id: str) -> int:
    """Papers without a vector for this contract, or changed since it was checked."""
    joined, stale = _stale_condition(contract_id)
    return int(conn.execute(select(func.count()).select_from(joined).where(stale)).scalar_one())


def papers_to_embed(conn: Connection, contract_id: str, after: str, limit: int) -> list[TextRow]:
    """The next `limit` papers (by id, after `after`) that may need a new vector."""
    joined, stale = _stale_condition(contract_id)
    query = (
        select(papers.c.id, papers.c.title, papers.c.abstract, paper_vectors.c.text_hash)
        .select_from(joined)
        .where(stale, papers.c.id > after)
        .order_by(papers.c.id)
        .limit(limit)
    )
    return [TextRow(r.id, r.title, r.abstract or "", r.text_hash) for r in conn.execute(query)]


def paper_texts(conn: Connection, contract_id: str, ids: Sequence[str]) -> list[TextRow]:
    """These papers' text and the hash of their stored vector's text under this contract."""
    out: list[TextRow] = []
    joined = papers.outerjoin(
        paper_vectors,
        and_(paper_vectors.c.paper_id == papers.c.id, paper_vectors.c.contract_id == contract_id),
    )
    for chunk in chunks(list(ids), _CHUNK):
        query = (
            select(papers.c.id, papers.c.title, papers.c.abstract, paper_vectors.c.text_hash)
            .select_from(joined)
            .where(papers.c.id.in_(chunk))
        )
        out += [TextRow(r.id, r.title, r.abstract or "", r.text_hash) for r in conn.execute(query)]
    return out


def save_vectors(
    conn: Connection, contract_id: str, rows: Sequence[tuple[str, str, np.ndarray]]
) -> None:
    """Store (paper_id, text_hash, vector) rows, replacing older vectors of the same contract."""
    if not rows:
        return
    now = utcnow()
    ids = [r[0] for r in rows]
    for chunk in chunks(ids, _CHUNK):
        conn.execute(
            delete(paper_vectors).where(
                paper_vectors.c.contract_id == contract_id, paper_vectors.c.paper_id.in_(chunk)
            )
        )
    values = [
        {
            "paper_id": pid,
            "contract_id": contract_id,
            "text_hash": text_hash,
            "vector": encode_vector(vec),
            "embedded_at": now,
            "checked_at": now,
        }
        for pid, text_hash, vec in rows
    ]
    conn.execute(paper_vectors.insert(), values)


def mark_checked(conn: Connection, contract_id: str, ids: Sequence[str]) -> None:
    """Note that these papers' vectors still match their text."""
    for chunk in chunks(list(ids), _CHUNK):
        conn.execute(
            paper_vectors.update()
            .where(paper_vectors.c.contract_id == contract_id, paper_vectors.c.paper_id.in_(chunk))
            .values(checked_at=utcnow())
        )


def vector_hashes(
    conn: Connection, contract_id: str, ids: Sequence[str] | None = None
) -> dict[str, str]:
    """Text hashes of stored vectors under this contract (of these papers, or of all)."""
    base = select(paper_vectors.c.paper_id, paper_vectors.c.text_hash).where(
        paper_vectors.c.contract_id == contract_id
    )
    if ids is None:
        return {pid: h for pid, h in conn.execute(base)}
    out: dict[str, str] = {}
    for chunk in chunks(list(ids), _CHUNK):
        out.update(
            {pid: h for pid, h in conn.execute(base.where(paper_vectors.c.paper_id.in_(chunk)))}
        )
    return out


def delete_other_contracts(conn: Connection, keep: str) -> int:
    """Drop vectors and contracts other than `keep`; returns vectors deleted."""
    gone = conn.execute(delete(paper_vectors).where(paper_vectors.c.contract_id != keep)).rowcount
    conn.execute(delete(embedding_contracts).where(embedding_contracts.c.id != keep))
    return int(gone or 0)


def encode_vector(vec: np.ndarray) -> bytes:
    """A vector as the bytes the store keeps."""
    return np.asarray(vec, dtype=VECTOR_DTYPE).tobytes()


def decode_vectors(blobs: Sequence[bytes], dim: int) -> np.ndarray:
    """Stored bytes back to a float32 matrix (n, dim)."""
    if not blobs:
        return np.zeros((0, dim), dtype=np.float32)
    raw = np.frombuffer(b"".join(blobs), dtype=VECTOR_DTYPE)
    return raw.reshape(len(blobs), dim).astype(np.float32)


def get_vectors(
    conn: Connection, contract_id: str, ids: Sequence[str], dim: int
) -> dict[str, np.ndarray]:
    """Stored vectors of these papers under this contract (missing ones left out)."""
    out: dict[str, np.ndarray] = {}
    for chunk in chunks(list(ids), _CHUNK):
        query = select(paper_vectors.c.paper_id, paper_vectors.c.vector).where(
            paper_vectors.c.contract_id == contract_id, paper_vectors.c.paper_id.in_(chunk)
        )
        rows = conn.execute(query).all()
        matrix = decode_vectors([r.vector for r in rows], dim)
        out.update({r.paper_id: matrix[i] for i, r in enumerate(rows)})
    return out


def vectors_since(
    conn: Connection,
    contract_id: str,
    dim: int,
    after: tuple[datetime, str] | None,
    batch: int = 20000,
    applied: Mapping[str, datetime] | None = None,
) -> Iterator[tuple[list[str], np.ndarray, list[datetime]]]:
    """Vectors whose (embedded_at, paper_id) comes after `after`, batched, with their times.

    Vectors already `applied` at the same time come as zero rows (the caller skips them); with
    rows applied only the keys are read first, so re-reading the unsettled rows after a large
    embedding run does not read their vectors again.
    """
    cursor, applied = after, applied or {}
    keys = (paper_vectors.c.paper_id, paper_vectors.c.embedded_at)
    while True:
        query = (
            select(*(keys if applied else (*keys, paper_vectors.c.vector)))
            .where(paper_vectors.c.contract_id == contract_id)
            .order_by(paper_vectors.c.embedded_at, paper_vectors.c.paper_id)
        )
        if cursor is not None:
            query = query.where(
                paper_vectors.c.embedded_at >= cursor[0],
                tuple_(paper_vectors.c.embedded_at, paper_vectors.c.paper_id) > cursor,
            )
        rows = conn.execute(query.limit(batch)).all()
        if not rows:
            return
        if applied:
            yield _fill(conn, contract_id, dim, rows, applied)
        else:
            yield (
                [r.paper_id for r in rows],
                decode_vectors([r.vector for r in rows], dim),
                [r.embedded_at for r in rows],
            )
        cursor = (rows[-1].embedded_at, rows[-1].paper_id)


def _fill(
    conn: Connection,
    contract_id: str,
    dim: int,
    rows: Sequence[Any],
    applied: Mapping[str, datetime],
) -> tuple[list[str], np.ndarray, list[datetime]]:
    """Keys read in order, with the vectors of those not applied yet (zero rows for the rest)."""
    skip = {r.paper_id for r in rows if applied.get(r.paper_id) == r.embedded_at}
    found = _vectors_of(
        conn, contract_id, dim, [r.paper_id for r in rows if r.paper_id not in skip]
    )
    kept: list[tuple[str, datetime]] = []
    matrix = np.zeros((len(rows), dim), dtype=np.float32)
    for r in rows:  # a vector deleted between the two reads is left out
        if r.paper_id in skip:
            kept.append((r.paper_id, r.embedded_at))
        elif r.paper_id in found:
            matrix[len(kept)], at = found[r.paper_id]
            kept.append((r.paper_id, at))
    return [pid for pid, _ in kept], matrix[: len(kept)], [at for _, at in kept]


def _vectors_of(
    conn: Connection, contract_id: str, dim: int, ids: Sequence[str]
) -> dict[str, tuple[np.ndarray, datetime]]:
    """These papers' vectors and their times (the time read with the vector: it may be newer
    than the one the order was read at)."""
    out: dict[str, tuple[np.ndarray, datetime]] = {}
    for chunk in chunks(ids, _CHUNK):
        query = select(
            paper_vectors.c.paper_id, paper_vectors.c.vector, paper_vectors.c.embedded_at
        ).where(paper_vectors.c.contract_id == contract_id, paper_vectors.c.paper_id.in_(chunk))
        rows = conn.execute(query).all()
        matrix = decode_vectors([r.vector for r in rows], dim)
        out.update((r.paper_id, (matrix[i], r.embedded_at)) for i, r in enumerate(rows))
    return out


def latest_change(conn: Connection) -> datetime | None:
    """The newest `changed_at` in the store (candidate spaces are cached per change)."""
    value: datetime | None = conn.execute(select(func.max(papers.c.changed_at))).scalar_one()
    return value
