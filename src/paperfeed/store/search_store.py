"""Search tables and queries: embedding contracts, stored vectors, papers to (re)index.

Vectors are stored as little-endian float16 bytes (`dim * 2` bytes per paper): half the size of
float32, and the rounding (about 1e-3 relative) does not change rankings measurably.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

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


@dataclass(frozen=True)
class TextRow:
    """A paper's text for embedding and the hash of its stored vector's text, if any."""

    id: str
    title: str
    abstract: str
    stored_hash: str | None


# --- papers for the keyword index -------------------------------------------------------------


def changed_papers(
    conn: Connection,
    after: tuple[datetime, str] | None,
    batch: int = 2000,
    applied: Mapping[str, datetime] | None = None,
) -> Iterator[list[IndexRow]]:
    """Papers whose (changed_at, id) comes after `after` (all when None), in that order, batched.

    Rows already `applied` at the same `changed_at` come as placeholders without text, authors
    or categories (the caller skips them; only their place in the order matters): after a large
    ingest every refresh re-reads the unsettled rows, and only their keys are read then.
    """
    cursor, applied = after, applied or {}
    while True:
        query = select(papers.c.id, papers.c.changed_at).order_by(papers.c.changed_at, papers.c.id)
        if cursor is not None:  # the first condition lets the changed_at index narrow the scan
            query = query.where(
                papers.c.changed_at >= cursor[0], tuple_(papers.c.changed_at, papers.c.id) > cursor
            )
        keys = conn.execute(query.limit(batch)).all()
        if not keys:
            return
        full = _index_rows(conn, [k.id for k in keys if applied.get(k.id) != k.changed_at])
        yield [full.get(k.id) or _placeholder(k.id, k.changed_at, k.id in applied) for k in keys]
        cursor = (keys[-1].changed_at, keys[-1].id)


def _placeholder(pid: str, changed_at: datetime, applied: bool) -> IndexRow:
    """A row in the order only: applied already, or gone between the two reads (then hidden, so
    the index drops it)."""
    return IndexRow(pid, "", "", (), (), None, changed_at, hidden=not applied)


def _index_rows(conn: Connection, ids: Sequence[str]) -> dict[str, IndexRow]:
    """The keyword index's rows of these papers, by id."""
    authors = _grouped(conn, paper_authors.c.name, paper_authors.c.position, ids)
    cats = _grouped(conn, paper_categories.c.category, paper_categories.c.position, ids)
    out: dict[str, IndexRow] = {}
    for chunk in chunks(ids, _CHUNK):
        query = select(
            papers.c.id,
            papers.c.title,
            papers.c.abstract,
            papers.c.listing_date,
            papers.c.published,
            papers.c.changed_at,
            papers.c.hidden,
        ).where(papers.c.id.in_(chunk))
        for r in conn.execute(query):
            out[r.id] = IndexRow(
                id=r.id,
                title=r.title,
                abstract=r.abstract or "",
                authors=tuple(authors.get(r.id, ())),
                categories=tuple(cats.get(r.id, ())),
                day=r.listing_date or (r.published.date() if r.published else None),
                changed_at=r.changed_at,
                hidden=bool(r.hidden),
            )
    return out


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

    Vectors already `applied` at the same time come as zero rows (the caller skips them), so
    re-reading the unsettled rows after a large embedding run reads their keys only.
    """
    cursor, applied = after, applied or {}
    while True:
        query = (
            select(paper_vectors.c.paper_id, paper_vectors.c.embedded_at)
            .where(paper_vectors.c.contract_id == contract_id)
            .order_by(paper_vectors.c.embedded_at, paper_vectors.c.paper_id)
        )
        if cursor is not None:
            query = query.where(
                paper_vectors.c.embedded_at >= cursor[0],
                tuple_(paper_vectors.c.embedded_at, paper_vectors.c.paper_id) > cursor,
            )
        keys = conn.execute(query.limit(batch)).all()
        if not keys:
            return
        skip = {k.paper_id for k in keys if applied.get(k.paper_id) == k.embedded_at}
        found = _vectors_of(
            conn, contract_id, dim, [k.paper_id for k in keys if k.paper_id not in skip]
        )
        kept: list[tuple[str, datetime]] = []
        matrix = np.zeros((len(keys), dim), dtype=np.float32)
        for k in keys:  # a vector deleted between the two reads is left out
            if k.paper_id in skip:
                kept.append((k.paper_id, k.embedded_at))
            elif k.paper_id in found:
                matrix[len(kept)], at = found[k.paper_id]
                kept.append((k.paper_id, at))
        ids, stamps = [pid for pid, _ in kept], [at for _, at in kept]
        yield ids, matrix[: len(ids)], stamps
        cursor = (keys[-1].embedded_at, keys[-1].paper_id)


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
