"""The search's embedding model: loaded once, and the query vectors it makes (kept, timed out)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import numpy as np

from paperfeed.search.backfill import contract_of
from paperfeed.search.embed import Calibration, Embedder, EmbedderUnavailable, get_embedder
from paperfeed.search.query import semantic_text
from paperfeed.search.vectors import FaissIndex
from paperfeed.settings import Settings
from paperfeed.util import Lru

QUERY_VECTORS_KEPT = 512  # embedded queries kept per process (a few kB each)
TOO_SLOW = "embedding model too slow"
NOTHING_TO_EMBED = "nothing to embed in the query"


class QueryModel:
    """`SearchService`'s embedding model: loaded on first use, and the query vectors it makes."""

    settings: Settings
    _embedder: Embedder | None
    _embedder_error: str
    _contract_id: str | None
    _model_lock: threading.Lock
    _query_vectors: Lru[str, np.ndarray]
    _pool: ThreadPoolExecutor
    _vectors: FaissIndex | None

    # --- the model ---------------------------------------------------------------------------

    def _model(self) -> Embedder | None:
        with self._model_lock:
            if self._contract_id is None and self._embedder_error == "":
                try:
                    model = self._embedder or get_embedder(self.settings.embed_model)
                    self._contract_id, self._embedder = contract_of(model)[0], model
                except EmbedderUnavailable as exc:
                    self._embedder_error = f"embedding model unavailable: {exc}"
            return self._embedder if self._contract_id else None

    def _contract(self) -> tuple[str, int] | None:
        model = self._model()
        return (self._contract_id, model.dim) if model and self._contract_id else None

    def embed_query(self, text: str) -> np.ndarray | None:
        """The query's vector, or None when the model is unavailable or too slow."""
        return self._query_vector(text)[0]

    def _query_vector(self, text: str) -> tuple[np.ndarray | None, str | None]:
        model, clean, reason = self._query_text(text)
        if model is None:
            return None, reason
        cached = self._query_vectors.get(clean)
        if cached is not None:
            return cached, None
        future = self._pool.submit(self._embed_now, model, clean)
        try:
            return future.result(timeout=self.settings.search_embed_timeout), None
        except FutureTimeout:
            return None, TOO_SLOW

    def _query_text(self, text: str) -> tuple[Embedder | None, str, str | None]:
        """The model and the text it embeds for a query, or why there is none."""
        model = self._model()
        if model is None:
            return None, "", self._embedder_error or "embedding model unavailable"
        clean = semantic_text(text)
        if not clean:
            return None, "", NOTHING_TO_EMBED
        return model, clean, None

    def _embed_now(self, model: Embedder, clean: str) -> np.ndarray:
        vector: np.ndarray = np.asarray(model.embed([clean]))[0]
        self._query_vectors.put(clean, vector)
        return vector

    def _vector_index(self) -> tuple[FaissIndex | None, str | None]:
        if self._vectors is None or len(self._vectors) == 0:
            model = self._model()
            if model is None:
                return None, self._embedder_error or "embedding model unavailable"
            return None, f"no stored vectors for model {model.name!r}: run `paperfeed embed`"
        return self._vectors, None

    def _calibration(self) -> Calibration:
        return self._embedder.calibration if self._embedder else Calibration()

    def min_similarity(self) -> float:
        """The embedding model's calibrated cosine for "this paper matches that search"."""
        model = self._model()
        return (model.calibration if model else Calibration()).min_similarity
