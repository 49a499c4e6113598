"""Semantic and hybrid ranking: nearest vectors, fused with the keyword ranking."""

from __future__ import annotations

import heapq
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import date

import numpy as np

from paperfeed.search import fusion
from paperfeed.search.keyword import HYBRID, Filters, KeywordIndex
from paperfeed.search.query import ParsedQuery
from paperfeed.search.service.model import TOO_SLOW, QueryModel
from paperfeed.search.vectors import FaissIndex, normalise

HYBRID_DEPTH = 100  # candidates taken from each side before fusing (the first pages)
HYBRID_DEEP = 1_000  # ... and for pages past those, to the end of a hybrid ranking
# A weak (static) model gets less say in hybrid ranking; measured on SciFact dev (bench/RESULTS.md).
# Pseudo-relevance feedback: the query vector moves toward the best fused hit, then re-fuses
# (measured on SciFact dev, bench/RESULTS.md, Search).
PRF_WEIGHT = 0.5
# Sorted by date, a paper near in meaning is listed when its similarity is at least this share of
# the nearest paper's above the model's floor (the floor alone let in 248 papers for "code
# generation benchmark" on the demo, image pruning and drama generation among them).
NEAR_SHARE = 0.5
# Searched among at most these papers (a conference's), the nearest are found by comparing each
# vector: the ANN's candidates from the whole store hold few of a small set's papers (887
# papers: 2-3 ms; 11,531: 29-33 ms on 2 cores, bench/RESULTS.md, "Search within a conference").
AMONG_EXACT = 20_000


class DenseRanking(QueryModel):
    """`SearchService`'s semantic and hybrid rankings: ANN candidates, filtered, fused with BM25."""

    keyword: KeywordIndex
    _ann: ThreadPoolExecutor

    def _semantic(
        self,
        index: FaissIndex,
        vector: np.ndarray,
        parsed: ParsedQuery,
        filters: Filters,
        need: int,
        by_date: bool,
    ) -> list[tuple[str, float]]:
        """The nearest papers; by date, the closest of them (see `_closest`) newest first."""
        if not by_date:
            return self._dense(index, vector, parsed, filters, max(need, HYBRID_DEPTH))
        return self._by_date(
            self._closest(self._dense(index, vector, parsed, filters, HYBRID_DEEP))
        )

    def _closest(self, near: list[tuple[str, float]]) -> list[tuple[str, float]]:
        """The papers whose similarity is at least NEAR_SHARE of the nearest one's above the
        model's floor: what a date order lists, not every paper the floor lets in."""
        if not near:
            return near
        floor = self.min_similarity()
        bar = floor + NEAR_SHARE * (max(s for _p, s in near) - floor)
        return [(pid, score) for pid, score in near if score >= bar]

    def _dense(
        self, index: FaissIndex, vector: np.ndarray, parsed: ParsedQuery, filters: Filters, k: int
    ) -> list[tuple[str, float]]:
        """The nearest papers that pass the filters and are close enough to mean something."""
        found = self._nearest(index, vector, parsed, filters, k)
        kept = self.keyword.keep([pid for pid, _s in found], filters, parsed)
        return [(pid, score) for pid, score in found if pid in kept][:k]

    def _nearest(
        self, index: FaissIndex, vector: np.ndarray, parsed: ParsedQuery, filters: Filters, k: int
    ) -> list[tuple[str, float]]:
        """ANN candidates for the k best (more when filters will drop some), above the floor;
        among a few named papers (a conference's), their exact nearest."""
        if filters.among is not None and len(filters.among) <= AMONG_EXACT:
            found = _exact_among(index, vector, filters.among, k + 10)
        else:
            restricted = filters.any or parsed.excluded_words or parsed.excluded_phrases
            found = index.search(vector, max(k * 10, 500) if restricted else k + 10)
        floor = self.min_similarity()
        return [(pid, score) for pid, score in found if score >= floor]

    def _hybrid_by_date(
        self, index: FaissIndex, query: str, parsed: ParsedQuery, filters: Filters, need: int
    ) -> tuple[tuple[list[tuple[str, float]], int] | None, str | None]:
        """The relevant papers newest first: those holding every word of the query and those
        the model finds near it in meaning (above its floor), not the fusion's tail of papers
        that share one word; when neither has any, the keyword date order's papers."""
        vector, reason = self._query_vector(query)
        if vector is None:
            return None, reason
        near = self._closest(self._dense(index, vector, parsed, filters, HYBRID_DEEP))
        every = self.keyword.matcher(parsed, filters, every=True)(filters)
        holding = self.keyword.among(every, [p for p, _s in near]) if near else set()
        near = [(p, s) for p, s in self._by_date(near) if p not in holding]
        # Those holding every word in the keyword date order (papers with no day last), the
        # others merged in by day: each page's papers depend on no later page's.
        held, total = self.keyword.search(
            parsed, filters, need, by_date=True, all_words=True, every=True
        )
        if not total and not near:
            return self.keyword.search(parsed, filters, need, by_date=True, all_words=True), None
        days = {
            d.id: d.day or date.min for d in self.keyword.docs([*dict(held), *dict(near)]).values()
        }
        merged = heapq.merge(held, near, key=lambda h: days.get(h[0], date.min), reverse=True)
        return (list(merged)[:need], total + len(near)), None

    def _hybrid(
        self,
        index: FaissIndex,
        query: str,
        parsed: ParsedQuery,
        filters: Filters,
        need: int,
    ) -> tuple[tuple[list[tuple[str, float]], int] | None, str | None]:
        """Fused keyword and meaning ranking, or None and why there is no query vector.

        One ranking however deep a page reads: the fusion of each side's first HYBRID_DEPTH,
        then (for pages past it) the fusion of each side's first HYBRID_DEEP less those, which
        ends the list. Fusing to the depth a page needs instead reordered the papers each page
        deeper, so that pages repeated some and skipped others, and never ended.
        """
        first, reason = self._fused(index, query, parsed, filters, HYBRID_DEPTH)
        if first is None:
            return None, reason
        hits, total = first
        if need > len(hits):
            deeper, _reason = self._fused(index, query, parsed, filters, HYBRID_DEEP)
            shown = {pid for pid, _s in hits}
            more = [(pid, s) for pid, s in (deeper[0] if deeper else []) if pid not in shown]
            hits += more
        return (hits, min(total, HYBRID_DEEP * 2)), None

    def _fused(
        self,
        index: FaissIndex,
        query: str,
        parsed: ParsedQuery,
        filters: Filters,
        depth: int,
    ) -> tuple[tuple[list[tuple[str, float]], int] | None, str | None]:
        """Each side's first `depth` papers, fused; None and why when there is no vector."""
        nearest, reason = self._nearest_soon(query, index, parsed, filters, depth)
        if nearest is None:
            return None, reason
        keyword, total = self.keyword.search(parsed, filters, depth, weights=HYBRID)
        try:
            vector, found = nearest.result(timeout=self.settings.search_embed_timeout)
        except FutureTimeout:
            nearest.cancel()  # not started yet: no work for nothing
            return None, TOO_SLOW
        bm25 = dict(keyword)
        # The keyword hits already passed the filters; the other ANN candidates are checked
        # against them and given their BM25 scores in one search.
        others = [pid for pid, _s in found if pid not in bm25]
        scored = self.keyword.keep_scored(others, filters, parsed, HYBRID)
        dense = [(pid, s) for pid, s in found if pid in bm25 or pid in scored][:depth]
        ids = list(dict.fromkeys([pid for pid, _s in keyword] + [pid for pid, _s in dense]))
        bm25.update(scored)
        bm25 = {pid: bm25.get(pid, 0.0) for pid in ids}  # no keyword match is evidence too
        # Exact cosines for every candidate (the ANN index only nominated them); a paper not
        # embedded yet has none, and fusion ranks it by its keyword evidence alone.
        vectors = index.get(ids)
        fused = self._fuse(ids, keyword, bm25, _cosines(vectors, vector))
        if PRF_WEIGHT and vectors and self.settings.hybrid_fusion != "rrf":
            top = next(p for p, _s in fusion.ranked(fused) if p in vectors)
            again = normalise(vector + PRF_WEIGHT * vectors[top])
            fused = self._fuse(ids, keyword, bm25, _cosines(vectors, again))
        return (fusion.ranked(fused), max(total, len(ids))), None

    def _nearest_soon(
        self, query: str, index: FaissIndex, parsed: ParsedQuery, filters: Filters, k: int
    ) -> tuple[Future[tuple[np.ndarray, list[tuple[str, float]]]] | None, str | None]:
        """The query's vector and ANN candidates on their way, while the caller runs tantivy:
        embedded and searched in the embedding thread, or searched in the ANN thread when the
        vector is kept; None and why when there will be no vector."""
        model, clean, reason = self._query_text(query)
        if model is None:
            return None, reason
        cached = self._query_vectors.get(clean)
        if cached is not None:
            return self._ann.submit(self._candidates, index, cached, parsed, filters, k), None

        def embed_and_search() -> tuple[np.ndarray, list[tuple[str, float]]]:
            vector = self._embed_now(model, clean)
            return self._candidates(index, vector, parsed, filters, k)

        return self._pool.submit(embed_and_search), None

    def _candidates(
        self, index: FaissIndex, vector: np.ndarray, parsed: ParsedQuery, filters: Filters, k: int
    ) -> tuple[np.ndarray, list[tuple[str, float]]]:
        return vector, self._nearest(index, vector, parsed, filters, k)

    def _fuse(
        self,
        ids: list[str],
        keyword: list[tuple[str, float]],
        bm25: dict[str, float],
        cosine: dict[str, float],
    ) -> dict[str, float]:
        wk = self.settings.hybrid_keyword_weight
        ws = self.settings.hybrid_semantic_weight * self._calibration().hybrid_trust
        if self.settings.hybrid_fusion == "rrf":
            by_keyword = [p for p, _s in keyword]
            fused = fusion.rrf([(by_keyword, wk), ([p for p, _s in fusion.ranked(cosine)], ws)])
            for rank, pid in enumerate(by_keyword, start=1):
                if pid not in cosine:  # not embedded yet: its keyword rank stands for both
                    fused[pid] += ws / (fusion.RRF_K + rank)
            return fused
        return fusion.convex([(bm25, wk), (cosine, ws)], ids, self.settings.hybrid_fusion)

    def _by_date(self, hits: list[tuple[str, float]]) -> list[tuple[str, float]]:
        days = {d.id: d.day for d in self.keyword.docs([p for p, _s in hits]).values()}
        return sorted(hits, key=lambda h: days.get(h[0]) or date.min, reverse=True)


def _cosines(vectors: dict[str, np.ndarray], query: np.ndarray) -> dict[str, float]:
    """Cosine of each candidate that has a vector."""
    if not vectors:
        return {}
    scores = np.stack(list(vectors.values())) @ np.asarray(query, dtype=np.float32).reshape(-1)
    return dict(zip(vectors, scores.tolist(), strict=True))


def _exact_among(
    index: FaissIndex, vector: np.ndarray, ids: frozenset[str], k: int
) -> list[tuple[str, float]]:
    """The k nearest of these papers' indexed vectors (unit length: the inner product is the
    cosine similarity, as the index's own search scores it)."""
    names, matrix = index.matrix_of(list(ids))
    if not names:
        return []
    scores = matrix @ np.asarray(vector, dtype=np.float32).ravel()
    top = np.argsort(-scores, kind="stable")[:k]
    return [(names[i], float(scores[i])) for i in top]
