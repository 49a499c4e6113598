"""The whole store's feed ("all time"): candidates near a reader's papers from the vector index."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
from sqlalchemy import Connection

from paperfeed.recommend.model import (
    Recommendation,
    Signal,
    Space,
    Tuning,
    UserModel,
    Vocabulary,
    rank,
    recency,
    train,
)
from paperfeed.recommend.service.inputs import (
    _basis,
    _follows,
    _matrix,
    _offered,
    _signals,
    acted_on,
    doc_of,
)
from paperfeed.recommend.service.vocabulary import VocabularyUpkeep, _space_over
from paperfeed.recommend.whole import Neighbours, candidate_ids, centres, per_query
from paperfeed.store import get_papers
from paperfeed.store.library import signal_version, vector_contract
from paperfeed.store.listings import paper_flags
from paperfeed.store.search_store import latest_change
from paperfeed.util import Lru


class _Unranked(Exception):
    """An all-time feed cannot be ranked (nothing to search with, or no index)."""


class AllTimeRanking(VocabularyUpkeep):
    """`Recommender`'s all-time feeds: candidates from the search's vector index, not a space."""

    tuning: Tuning
    neighbours: Neighbours | None
    _feeds: Lru[tuple[object, ...], tuple[Recommendation, ...]]
    _among_spaces: Lru[tuple[object, ...], Space]
    _among_models: Lru[tuple[object, ...], UserModel]
    trained: int

    def feed_all(
        self,
        conn: Connection,
        user_id: int,
        limit: int,
        show_muted: bool = False,
        collection: int | None = None,
        explained: int | None = None,
    ) -> list[Recommendation] | None:
        """The user's ranked papers of the whole store, with a reason each (the first
        `explained` only, when given; seen ones left out,
        and muted ones unless `show_muted`); None when it cannot be ranked: no vector index, or
        no positive paper with a vector."""
        if self.neighbours is None or vector_contract(conn) is None:
            return None
        change = latest_change(conn)
        # As for the windows: while a large store's first fit runs (a server's start), ranked
        # in features fitted on the candidates, and again once the store's are in (day in key).
        day, vocabulary = self._vocabulary_soon(conn, change)
        version = (signal_version(conn, user_id), change, day)
        key = (user_id, *version, "all", limit, show_muted, explained, _basis(conn, collection))
        try:
            ranked = self._feeds.get_or_build(
                key,
                lambda: self._rank_all(
                    conn, user_id, (limit, explained), vocabulary, show_muted, collection
                ),
            )
        except _Unranked:
            return None
        return list(ranked)

    def _rank_all(
        self,
        conn: Connection,
        user_id: int,
        depth: tuple[int, int | None],
        vocabulary: Vocabulary | None,
        show_muted: bool,
        collection: int | None = None,
    ) -> tuple[Recommendation, ...]:
        """`depth`: how many to rank, and how many of them to word a reason for (None: all)."""
        contract = vector_contract(conn)
        assert contract is not None and self.neighbours is not None
        signals = _signals(conn, user_id, contract[1], collection)
        seen = acted_on(conn, user_id)
        ids = self._candidates(signals, seen)
        flags = paper_flags(conn, ids)
        ids = [i for i in ids if i in flags and not flags[i].hidden]
        papers = get_papers(conn, ids, brief=True)
        docs = [doc_of(papers[i]) for i in ids if _offered(papers.get(i))]
        vectors = _matrix(conn, contract, [d.id for d in docs])
        space = _space_over(docs, vectors, vocabulary)
        model = train(signals, space, _follows(conn, user_id, collection), self.tuning)
        limit, explained = depth
        return tuple(rank(model, space, limit, seen, show_muted=show_muted, explained=explained))

    def feed_among(
        self,
        conn: Connection,
        user_id: int,
        ids: Sequence[str],
        show_muted: bool = False,
        explained: int | None = None,
    ) -> list[Recommendation] | None:
        """The user's ranking of the given papers (a conference's), each with why (the first
        `explained` only, when given), those the user saved or rated left out, and muted ones
        unless `show_muted`; None when they cannot be ranked (no vectors stored, or nothing
        of the user's to rank by). The papers' space is kept for every reader, the user's model
        of it until their signals or the store change, the ranking for each depth asked."""
        if vector_contract(conn) is None or not ids:
            return None
        change = latest_change(conn)
        day, vocabulary = self._vocabulary_soon(conn, change)
        among = hashlib.blake2b("\n".join(ids).encode(), digest_size=16).hexdigest()
        space_key = (among, change, day)
        model_key = (user_id, signal_version(conn, user_id), *space_key)
        try:
            space = self._among_spaces.get_or_build(
                space_key, lambda: self._space_among(conn, ids, vocabulary)
            )
            model = self._among_models.get_or_build(
                model_key, lambda: self._model_among(conn, user_id, space)
            )
        except _Unranked:
            return None

        def ranked() -> tuple[Recommendation, ...]:
            seen = acted_on(conn, user_id)
            found = rank(model, space, len(space.docs), seen, None, show_muted, explained)
            return tuple(found)

        return list(self._feeds.get_or_build((*model_key, show_muted, explained), ranked))

    def _space_among(
        self, conn: Connection, ids: Sequence[str], vocabulary: Vocabulary | None
    ) -> Space:
        contract = vector_contract(conn)
        assert contract is not None
        papers = get_papers(conn, list(ids), brief=True)
        docs = [doc_of(papers[i]) for i in ids if _offered(papers.get(i))]
        if not docs:
            raise _Unranked
        return _space_over(docs, _matrix(conn, contract, [d.id for d in docs]), vocabulary)

    def _model_among(self, conn: Connection, user_id: int, space: Space) -> UserModel:
        self.trained += 1
        signals = _signals(conn, user_id, space.vectors.shape[1], None)
        model = train(signals, space, _follows(conn, user_id, None), self.tuning)
        if not model.has_signals:
            raise _Unranked
        return model

    def _candidates(self, signals: Sequence[Signal], seen: frozenset[str]) -> list[str]:
        """Papers near the user's positive vectors (or their groups' centres), from the index."""
        positives = [s for s in signals if s.sign > 0 and s.vector is not None]
        if not positives or self.neighbours is None:
            raise _Unranked
        vectors = np.vstack([s.vector for s in positives]).astype(np.float32)  # type: ignore[misc]
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
        weights = np.array([recency(s.age_days, self.tuning) for s in positives], np.float32)
        queries = centres(vectors, weights, self.reach.groups, self.reach.rounds)
        # Asked for a few more per query: the reader's own papers sit nearest and are dropped.
        extra = -(-len(seen) // len(queries))
        found = self.neighbours(queries, per_query(self.reach, len(queries)) + extra)
        ids = candidate_ids(found, seen, self.reach.candidates)
        if not ids:
            raise _Unranked  # no vector index yet (or it holds nothing new for this reader)
        return ids
