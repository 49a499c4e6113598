"""Training a user's model: the keyword classifier, positive and negative vectors, neighbours."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from paperfeed.recommend.model.features import Space, _unit
from paperfeed.recommend.model.signals import (
    Follows,
    Signal,
    Tuning,
    _weight,
    one_per_paper,
    recency,
)

# scikit-learn and SciPy (most of a second to import) load when a model is first built, so
# that commands which never rank (ingest, search, mail) start without them.
if TYPE_CHECKING:
    from scipy import sparse


@dataclass
class UserModel:
    """A trained per-user model in one space's feature space."""

    term_weights: np.ndarray  # one weight per tf-idf feature
    bias: float
    positives: list[Signal]
    pos_vectors: np.ndarray  # (p, dim) unit vectors of positives that have one
    pos_weights: np.ndarray
    pos_index: list[int]  # which positives the vector rows belong to
    neg_vectors: np.ndarray
    follows: Follows
    tuning: Tuning
    pos_keywords: sparse.csr_matrix | None = None  # (terms, q) tf-idf columns of positives
    # keyword_neighbours over the space trained on (the costly sparse product, done once)
    neighbours: np.ndarray | None = None
    neighbours_of: weakref.ref[Space] | None = None

    @property
    def has_signals(self) -> bool:
        """Whether any paper signal (or follow) trained the model."""
        return bool(self.positives) or not self.follows.empty


def train(signals: Sequence[Signal], space: Space, follows: Follows, tuning: Tuning) -> UserModel:
    """Fit the user's keyword classifier and collect their positive and negative vectors
    (a paper's several signals taken as one)."""
    signals = one_per_paper(signals, tuning)
    positives = [s for s in signals if s.sign > 0]
    negatives = [s for s in signals if s.sign < 0]
    # Each signal's tf-idf row once: both the classifier and the neighbour part read them.
    x_sig = _rows(space, [s.doc.keyword_text for s in [*positives, *negatives]])
    weights, bias = _keyword_model(positives, negatives, space, tuning, x_sig)
    with_vec = [i for i, s in enumerate(positives) if s.vector is not None]
    # The meaning part keeps the most weighted positives: bounded cost per candidate.
    with_vec = sorted(with_vec, key=lambda i: _weight(positives[i], tuning), reverse=True)
    with_vec = sorted(with_vec[: tuning.max_vectors])
    dim = space.vectors.shape[1]
    pos_vectors = _stack([positives[i].vector for i in with_vec], dim)
    pos_weights = np.array([_weight(positives[i], tuning) for i in with_vec], dtype=np.float32)
    neg_vectors = _stack([s.vector for s in negatives if s.vector is not None], dim)
    model = UserModel(
        weights,
        bias,
        positives,
        pos_vectors,
        pos_weights,
        with_vec,
        neg_vectors,
        follows,
        tuning,
        _neighbour_keywords(positives, tuning, x_sig[: len(positives)]),
    )
    if model.pos_keywords is not None:
        model.neighbours, model.neighbours_of = keyword_neighbours(model, space), weakref.ref(space)
    return model


def _rows(space: Space, texts: Sequence[str]) -> sparse.csr_matrix:
    """Texts' tf-idf rows in the space's features (none: an empty matrix, not an error)."""
    if not texts:
        from scipy import sparse

        return sparse.csr_matrix((0, space.keywords.shape[1]), dtype=np.float32)
    return space.vectorizer.transform(texts).tocsr()


def _neighbour_keywords(
    positives: Sequence[Signal], tuning: Tuning, rows: sparse.csr_matrix
) -> sparse.csr_matrix | None:
    """The most weighted positives' tf-idf rows (`rows`: one per positive) as columns:
    (terms, q), q <= max_neighbours."""
    if not positives or tuning.neighbour_weight == 0 or tuning.max_neighbours <= 0:
        return None
    order = sorted(range(len(positives)), key=lambda i: _weight(positives[i], tuning))
    kept = sorted(order[::-1][: tuning.max_neighbours])
    return rows[kept].T.tocsr().astype(np.float32)


def keyword_neighbours(model: UserModel, space: Space) -> np.ndarray:
    """Each candidate's mean tf-idf cosine to its `neighbour_k` nearest positive papers."""
    n = space.keywords.shape[0]
    if model.pos_keywords is None or n == 0:
        return np.zeros(n, dtype=np.float32)
    trained_on = model.neighbours_of() if model.neighbours_of is not None else None
    if model.neighbours is not None and trained_on is space:  # computed when trained on it
        return model.neighbours
    sims = (space.keywords @ model.pos_keywords).toarray()  # (n, q), q <= max_neighbours
    k = max(min(model.tuning.neighbour_k, sims.shape[1]), 1)
    nearest = np.partition(sims, sims.shape[1] - k, axis=1)[:, -k:]
    mean: np.ndarray = nearest.mean(axis=1, dtype=np.float32)
    return mean


def _stack(vectors: Sequence[np.ndarray | None], dim: int) -> np.ndarray:
    rows = [v for v in vectors if v is not None and v.shape[-1] == dim]
    if not rows:
        return np.zeros((0, dim), dtype=np.float32)
    return _unit(np.vstack(rows).astype(np.float32), len(rows))


def _keyword_model(
    positives: Sequence[Signal],
    negatives: Sequence[Signal],
    space: Space,
    tuning: Tuning,
    x_sig: sparse.csr_matrix,
) -> tuple[np.ndarray, float]:
    n_terms = space.keywords.shape[1]
    if not positives or space.keywords.shape[0] == 0:
        return np.zeros(n_terms, dtype=np.float32), 0.0
    from scipy import sparse
    from sklearn.svm import LinearSVC

    labelled = [*positives, *negatives]
    x = sparse.vstack([x_sig, space.keywords]).tocsr()
    y = np.r_[np.ones(len(positives)), np.zeros(len(negatives) + space.keywords.shape[0])]
    w_sig = [
        recency(s.age_days, tuning) * (1 if s.sign > 0 else tuning.negative_boost) for s in labelled
    ]
    sample_weight = np.r_[np.array(w_sig), np.ones(space.keywords.shape[0])]
    clf = LinearSVC(class_weight="balanced", C=tuning.svm_c, max_iter=10000, tol=1e-4)
    clf.fit(x, y, sample_weight=sample_weight)
    return clf.coef_[0].astype(np.float32), float(clf.intercept_[0])
