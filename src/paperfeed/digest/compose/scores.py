"""Scoring each interest against every candidate paper, one row of a matrix per interest."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from paperfeed.digest.compose.items import Ranking
from paperfeed.latex import plain
from paperfeed.store.digests import Candidate, InterestRow
from paperfeed.store.papers import author_key

CATEGORY_SCORE = 0.5  # a category alone is a weak signal next to a search or an author
AUTHOR_SCORE = 1.0
KEYWORD_TITLE_SCORE = 1.0
KEYWORD_TEXT_SCORE = 0.8


class _Scores:
    """Unique interests scored once against every candidate (one row each)."""

    def __init__(
        self,
        cands: Sequence[Candidate],
        vectors: dict[str, np.ndarray],
        titles: dict[str, str],
        ranking: Ranking,
        found: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.cands, self.titles, self.ranking = cands, titles, ranking
        self.found = found or {}
        self.index = {c.id: i for i, c in enumerate(cands)}
        self.matrix, self.has_vec = _paper_matrix(cands, vectors)
        self.vectors = vectors
        self.by_author = _positions((k, i) for i, c in enumerate(cands) for k in c.author_keys)
        self.by_category = _positions((k, i) for i, c in enumerate(cands) for k in c.categories)
        self.titles_index = _TextIndex([c.title for c in cands])
        self.text_index = _TextIndex([f"{c.title} {c.abstract}" for c in cands])
        self.rows: list[np.ndarray] = [np.zeros(len(cands), dtype=np.float32)]
        self.labels: list[tuple[str, str]] = [("none", "")]
        self.keys: dict[tuple[str, str, int], int] = {}
        self.reasons: dict[tuple[int, int], str] = {}

    def row(self, interest: InterestRow, depth: int) -> int:
        """The row of one interest, scoring it on first sight (a saved search's row holds
        the site search's first `depth` results: a digest of n papers brings its top n)."""
        searched = interest.kind == "semantic" and interest.value in self.found
        key = (interest.kind, interest.value.lower(), depth if searched else 0)
        if key not in self.keys:
            self.keys[key] = len(self.rows)
            scores, how = self._score(interest, depth)
            self.rows.append(scores)
            self.labels.append((how, interest.value))
        return self.keys[key]

    def _score(self, it: InterestRow, depth: int) -> tuple[np.ndarray, str]:
        if it.kind == "category":
            return self._hits(self.by_category.get(it.value, []), CATEGORY_SCORE), it.kind
        if it.kind == "author":
            return self._hits(self.by_author.get(author_key(it.value), []), AUTHOR_SCORE), it.kind
        if it.kind == "semantic" and it.value in self.found:
            return self._ranked(self.found[it.value][:depth]), it.kind
        if it.kind in ("semantic", "seed"):
            vec = _vector(it.vector) if it.kind == "semantic" else self.vectors.get(it.value)
            if vec is not None and self.matrix is not None and vec.shape[0] == self.dim:
                return self._similar(vec.astype(np.float32)), it.kind
            if it.kind == "seed":
                return np.zeros(len(self.cands), dtype=np.float32), it.kind
        return self._keyword(it.value), "keyword"  # semantic without vectors: match its words

    def _hits(self, cols: list[int], score: float) -> np.ndarray:
        row = np.zeros(len(self.cands), dtype=np.float32)
        row[cols] = score
        return row

    def _ranked(self, ids: Sequence[str]) -> np.ndarray:
        # The site's order kept: 1.0 for its first hit down to 0.5 for its last.
        row = np.zeros(len(self.cands), dtype=np.float32)
        cols = [self.index[p] for p in ids if p in self.index]
        row[cols] = 1.0 - 0.5 * np.arange(len(cols)) / max(1, len(cols))
        return row

    @property
    def dim(self) -> int:
        return 0 if self.matrix is None else int(self.matrix.shape[1])

    def _similar(self, query: np.ndarray) -> np.ndarray:
        assert self.matrix is not None
        low = self.ranking.min_similarity
        cos = self.matrix @ query
        score = 0.5 + 0.5 * (cos - low) / max(1e-6, 1.0 - low)
        return np.where((cos >= low) & self.has_vec, score, 0.0).astype(np.float32)

    def _keyword(self, query: str) -> np.ndarray:
        terms = _words(query)
        row = self._hits(sorted(self.text_index.having_all(terms)), KEYWORD_TEXT_SCORE)
        row[sorted(self.titles_index.having_all(terms))] = KEYWORD_TITLE_SCORE
        return row

    def why(self, row: int, col: int) -> str:
        """The one-line reason an interest row matched a paper."""
        key = (row, col) if self.labels[row][0] == "author" else (row, -1)
        if key not in self.reasons:
            self.reasons[key] = self._why(row, col)
        return self.reasons[key]

    def _why(self, row: int, col: int) -> str:
        kind, value = self.labels[row]
        if kind == "category":
            return f"new in {value}"
        if kind == "author":
            key = author_key(value)
            cand = self.cands[col]
            pairs = zip(cand.authors, cand.author_keys, strict=True)
            name = next((a for a, k in pairs if k == key), value)
            return f"by {name}, whom you follow"
        if kind == "seed":
            title = plain(self.titles.get(value, value))  # its LaTeX as text, as email needs
            return f"like “{_clip(title, 70)}”, a paper you picked"
        if kind == "semantic":
            return f"close to your search “{_clip(value, 60)}”"
        return f"matches your search “{_clip(value, 60)}”"

    def stacked(self) -> np.ndarray:
        """All interest rows as one matrix (row 0 scores nothing)."""
        return np.vstack(self.rows)


def _paper_matrix(
    cands: Sequence[Candidate], vectors: dict[str, np.ndarray]
) -> tuple[np.ndarray | None, np.ndarray]:
    present = np.array([c.id in vectors for c in cands], dtype=bool)
    if not present.any():
        return None, present
    dim = next(v.shape[0] for v in vectors.values())
    matrix = np.zeros((len(cands), dim), dtype=np.float32)
    for i, c in enumerate(cands):
        vec = vectors.get(c.id)
        if vec is not None and vec.shape[0] == dim:
            matrix[i] = vec
    return matrix, present


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


class _TextIndex:
    """Which candidates have a word starting with a term (a keyword search's matching rule)."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.postings = _positions((w, i) for i, t in enumerate(texts) for w in set(_words(t)))
        self.vocabulary = sorted(self.postings)

    def having(self, term: str) -> set[int]:
        """Candidates with a word that starts with `term`."""
        cols: set[int] = set()
        for word in self.vocabulary[bisect_left(self.vocabulary, term) :]:
            if not word.startswith(term):
                break
            cols.update(self.postings[word])
        return cols

    def having_all(self, terms: list[str]) -> set[int]:
        """Candidates matching every term (none for no terms)."""
        if not terms:
            return set()
        return set.intersection(*(self.having(t) for t in terms))


def _positions(pairs: Iterable[tuple[str, int]]) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for key, col in pairs:
        index.setdefault(key, []).append(col)
    return index


def _vector(blob: bytes | None) -> np.ndarray | None:
    return np.frombuffer(blob, dtype=np.float32) if blob else None


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def trending_vector(cands: Sequence[Candidate], scores: Mapping[str, float]) -> np.ndarray:
    """The site's trending scores of the candidates, scaled to [0, 1]."""
    raw = np.array([max(scores.get(c.id, 0.0), 0.0) for c in cands], dtype=np.float32)
    top = float(raw.max()) if len(raw) else 0.0
    return raw / top if top > 0 else raw
