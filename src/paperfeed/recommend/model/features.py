"""Keyword features and candidate spaces: tf-idf over the candidates or a shared vocabulary."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from paperfeed.recommend.model.signals import Doc
from paperfeed.store.papers import author_key

# scikit-learn and SciPy (most of a second to import) load when a model is first built, so
# that commands which never rank (ingest, search, mail) start without them.
if TYPE_CHECKING:
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer


def new_vectorizer() -> TfidfVectorizer:
    """Unigram and bigram tf-idf, sublinear, English stop words removed; up to 200,000 terms, so
    that the rare terms a reader's papers share with a new one survive a fit on many papers."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        strip_accents="unicode",
        lowercase=True,
        stop_words="english",
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
        ngram_range=(1, 2),
        max_features=200_000,
        sublinear_tf=True,
        min_df=2,
        max_df=0.3,
        dtype=np.float32,
    )


@dataclass
class Space:
    """Candidate papers in one feature space: tf-idf rows, unit embeddings (zero if missing)."""

    docs: list[Doc]
    vectorizer: TfidfVectorizer
    keywords: sparse.csr_matrix
    vectors: np.ndarray
    index: dict[str, int] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)
    category_rows: sparse.csr_matrix | None = None
    category_prior: np.ndarray | None = None
    terms: np.ndarray | None = None  # feature names, looked up once
    author_keys: list[frozenset[str]] = field(default_factory=list)
    days: np.ndarray | None = None  # each paper's listing day (an ordinal; 0: none)
    primary: np.ndarray | None = None  # each paper's primary category, by index (-1: none)

    def __post_init__(self) -> None:
        self.index = {d.id: i for i, d in enumerate(self.docs)}
        self.days = np.array([d.day.toordinal() if d.day else 0 for d in self.docs], np.int64)
        if self.terms is None:  # a shared vocabulary passes its names in: ~10 ms to look up
            self.terms = self.vectorizer.get_feature_names_out()
        self.author_keys = [frozenset(author_key(a) for a in d.authors) for d in self.docs]
        names = sorted({c for d in self.docs for c in d.categories})
        self.categories = {c: i for i, c in enumerate(names)}
        first = [self.categories[d.categories[0]] if d.categories else -1 for d in self.docs]
        self.primary = np.array(first, np.int32)
        rows = [(i, self.categories[c]) for i, d in enumerate(self.docs) for c in set(d.categories)]
        data = np.ones(len(rows), dtype=np.float32)
        at = (np.array([r[0] for r in rows], dtype=int), np.array([r[1] for r in rows], dtype=int))
        from scipy import sparse

        self.category_rows = sparse.csr_matrix((data, at), shape=(len(self.docs), len(names)))
        counts = np.asarray(self.category_rows.sum(axis=0)).ravel()
        self.category_prior = (counts + 1) / (len(self.docs) + 2)


def build_space(docs: Sequence[Doc], vectors: np.ndarray, extra_texts: Sequence[str] = ()) -> Space:
    """Fit keyword features on the candidates (plus any extra texts) and pair them with vectors."""
    vectorizer = new_vectorizer()
    texts = [d.keyword_text for d in docs]
    try:
        vectorizer.fit(texts + list(extra_texts))
    except ValueError:  # too few documents for min_df: fall back to every term
        vectorizer.set_params(min_df=1, max_df=1.0)
        vectorizer.fit(texts + list(extra_texts) or ["paperfeed"])  # no papers: a placeholder
    keywords = vectorizer.transform(texts).tocsr()
    return Space(list(docs), vectorizer, keywords, _unit(vectors, len(docs)))


@dataclass(frozen=True)
class Vocabulary:
    """Keyword features fitted once on a sample of the store, shared by per-reader spaces."""

    vectorizer: TfidfVectorizer
    terms: np.ndarray


def fit_vocabulary(texts: Sequence[str]) -> Vocabulary:
    """Fit the keyword features on these texts (a bounded sample of the store)."""
    vectorizer = new_vectorizer()
    try:
        vectorizer.fit(texts)
    except ValueError:  # too few documents for min_df: every term
        vectorizer.set_params(min_df=1, max_df=1.0)
        vectorizer.fit(list(texts) or ["paperfeed"])
    return Vocabulary(vectorizer, vectorizer.get_feature_names_out())


VOCABULARY_FORMAT = 3  # bump when new_vectorizer's transform or the texts it is fitted on change


def save_vocabulary(vocabulary: Vocabulary, path: Path) -> None:
    """Write fitted keyword features (terms in column order and their idf) atomically: data, not
    a pickle, so reading one back runs no code."""
    data = {
        "format": VOCABULARY_FORMAT,
        "sklearn": _sklearn_version(),
        "terms": [str(t) for t in vocabulary.terms],
        "idf": vocabulary.vectorizer.idf_.tolist(),
        "idf_dtype": str(vocabulary.vectorizer.idf_.dtype),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f"{path.name}.{os.getpid()}.part")
    part.write_bytes(gzip.compress(json.dumps(data).encode(), compresslevel=1))
    part.replace(path)


def _sklearn_version() -> str:
    import sklearn

    return str(sklearn.__version__)


def load_vocabulary(path: Path) -> Vocabulary | None:
    """Keyword features written by `save_vocabulary`; None when missing, unreadable, or written
    by another format or scikit-learn version."""
    try:
        data = json.loads(gzip.decompress(path.read_bytes()))
        if data["format"] != VOCABULARY_FORMAT or data["sklearn"] != _sklearn_version():
            return None
        dtype = {"float32": np.float32, "float64": np.float64}[data["idf_dtype"]]
        terms, idf = list(data["terms"]), np.asarray(data["idf"], dtype=dtype)
    except (OSError, EOFError, ValueError, KeyError, TypeError):
        return None
    if not terms or len(terms) != len(idf) or len(set(terms)) != len(terms):
        return None
    vectorizer = new_vectorizer()
    vectorizer.vocabulary_ = {t: i for i, t in enumerate(terms)}
    vectorizer.idf_ = idf
    return Vocabulary(vectorizer, np.asarray(terms, dtype=object))


def space_in(docs: Sequence[Doc], vectors: np.ndarray, vocabulary: Vocabulary) -> Space:
    """A space over these candidates in an already fitted vocabulary (transform only)."""
    keywords = vocabulary.vectorizer.transform([d.keyword_text for d in docs]).tocsr()
    vec, terms = vocabulary.vectorizer, vocabulary.terms
    return Space(list(docs), vec, keywords, _unit(vectors, len(docs)), terms=terms)


def _unit(vectors: np.ndarray, rows: int) -> np.ndarray:
    if vectors.size == 0:
        return np.zeros((rows, 1), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: np.ndarray = (vectors / np.maximum(norms, 1e-9)).astype(np.float32)
    return unit
