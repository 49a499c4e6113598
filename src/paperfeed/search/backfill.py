"""Embedding stored papers under an embedding contract: new or changed papers only, resumably."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine

from paperfeed.search.embed import Embedder, EmbedderUnavailable, get_embedder, paper_text
from paperfeed.settings import Settings
from paperfeed.store import search_store as db
from paperfeed.util import uninterrupted

EMBED_BATCH = 256  # papers per transaction: a crash loses at most one batch of work
DEMO_MODEL = "minilm"
STORAGE = "float16-le"
log = logging.getLogger(__name__)

EmbedProgress = Callable[[int, int], None] | None  # (papers checked so far, papers to check)


def contract_of(embedder: Embedder) -> tuple[str, dict[str, object]]:
    """The contract id and spec for an embedder: model, revision, dim, normalisation, recipe."""
    spec: dict[str, object] = dict(embedder.contract())
    spec.setdefault("dim", embedder.dim)
    spec.setdefault("model", embedder.name)
    spec["storage"] = STORAGE
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()
    return digest[:16], spec


def text_hash(title: str, abstract: str) -> str:
    """A short hash of the exact text a paper is embedded from."""
    return hashlib.sha256(paper_text(title, abstract).encode()).hexdigest()[:16]


def embed_papers(
    settings: Settings,
    engine: Engine,
    progress: EmbedProgress = None,
    embedder: Embedder | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> int:
    """Embed papers lacking a vector for the current contract (or whose text changed).

    `should_stop` is asked between batches: when it says so, what is embedded is kept and the
    count so far returned (a later run goes on from there)."""
    embedder = embedder or get_embedder(settings.embed_model)
    cid, spec = contract_of(embedder)
    with engine.begin() as conn:
        db.ensure_contract(conn, cid, spec)
        total = db.count_to_embed(conn, cid)
    after, checked, embedded = "", 0, 0
    while True:
        with engine.connect() as conn:
            rows = db.papers_to_embed(conn, cid, after, EMBED_BATCH)
        if not rows or (should_stop is not None and should_stop()):
            return embedded
        embedded += _embed_batch(engine, embedder, cid, rows)
        after, checked = rows[-1].id, checked + len(rows)
        if progress:
            progress(checked, total)


def _embed_batch(engine: Engine, embedder: Embedder, cid: str, rows: list[db.TextRow]) -> int:
    hashes = [text_hash(r.title, r.abstract) for r in rows]
    fresh = [(r, h) for r, h in zip(rows, hashes, strict=True) if r.stored_hash != h]
    same = [r.id for r, h in zip(rows, hashes, strict=True) if r.stored_hash == h]
    texts = [paper_text(r.title, r.abstract) for r, _h in fresh]
    vectors = embedder.embed(texts) if texts else np.zeros((0, embedder.dim), dtype=np.float32)
    with uninterrupted(), engine.begin() as conn:  # a stop waits for the batch's commit
        db.save_vectors(conn, cid, [(r.id, h, v) for (r, h), v in zip(fresh, vectors, strict=True)])
        db.mark_checked(conn, cid, same)
    return len(fresh)


# --- bundled demo vectors -------------------------------------------------------------------


def _demo_files(model: str = DEMO_MODEL) -> tuple[Path, Path]:
    folder = Path(str(resources.files("paperfeed.demo")))
    return folder / f"vectors-{model}.npy", folder / f"vectors-{model}.json"


def load_demo_vectors(engine: Engine, settings: Settings) -> int:
    """Store the bundled demo vectors for papers whose text still matches; returns count stored."""
    if settings.embed_model != DEMO_MODEL:
        return 0
    matrix_path, meta_path = _demo_files()
    if not matrix_path.exists() or not meta_path.exists():
        return 0
    try:
        cid, spec = contract_of(get_embedder(DEMO_MODEL))
    except EmbedderUnavailable:
        return 0
    meta = json.loads(meta_path.read_text())
    if meta["contract_id"] != cid:
        return 0  # shipped for another model revision: `paperfeed embed` will do it
    return _store_demo(engine, cid, spec, meta, np.load(matrix_path))


def _store_demo(
    engine: Engine,
    cid: str,
    spec: dict[str, object],
    meta: dict[str, Any],
    matrix: np.ndarray,
) -> int:
    shipped = dict(zip(meta["ids"], zip(meta["hashes"], matrix, strict=True), strict=True))
    with engine.begin() as conn:
        db.ensure_contract(conn, cid, spec)
        rows = db.paper_texts(conn, cid, list(shipped))
        todo = [
            (r.id, h, vec)
            for r in rows
            for h, vec in [shipped[r.id]]
            if h == text_hash(r.title, r.abstract) and r.stored_hash != h
        ]
        db.save_vectors(conn, cid, todo)
    return len(todo)


def embed_after_ingest(engine: Engine, settings: Settings) -> int:
    """With `embed_on_ingest`, embed what an ingest run added (bundled demo vectors first)."""
    if not settings.embed_on_ingest:
        return 0
    try:
        load_demo_vectors(engine, settings)
        return embed_papers(settings, engine)
    except EmbedderUnavailable as exc:
        log.warning("papers stored but not embedded: %s", exc)
        return 0
