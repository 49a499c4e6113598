"""Every candidate's score: keyword, meaning, neighbours, categories, negatives, follows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from paperfeed.recommend.model.features import Space
from paperfeed.recommend.model.mutes import matched_search
from paperfeed.recommend.model.signals import recency
from paperfeed.recommend.model.training import UserModel, keyword_neighbours


def _zscore(values: np.ndarray) -> np.ndarray:
    std = float(values.std())
    return (values - float(values.mean())) / std if std > 1e-9 else np.zeros_like(values)


def _soft_max_similarity(
    model: UserModel, vectors: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Recency-weighted soft maximum of similarity to positives; each row's nearest and its sim."""
    sims = vectors @ model.pos_vectors.T  # (n, p)
    t = model.tuning.softmax_temperature
    logits = sims / t + np.log(model.pos_weights)[None, :]
    top = logits.max(axis=1, keepdims=True)
    soft = (top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))) * t
    nearest = sims.argmax(axis=1)
    return soft, nearest, np.take_along_axis(sims, nearest[:, None], 1)[:, 0]


@dataclass(frozen=True)
class Scored:
    """Scores of a space's rows under a model, with what explains them."""

    scores: np.ndarray
    nearest: np.ndarray  # index into model.pos_index, -1 when no vectors
    near_sim: np.ndarray


def score(model: UserModel, space: Space) -> Scored:
    """Every candidate's score: keyword + meaning + neighbours - negatives + follow bonuses."""
    n = len(space.docs)
    total = np.zeros(n, dtype=np.float32)
    tuning = model.tuning
    if model.positives:
        total += tuning.keyword_weight * _zscore(space.keywords @ model.term_weights)
    nearest, near_sim = np.full(n, -1), np.zeros(n, dtype=np.float32)
    if len(model.pos_vectors) and n:
        soft, nearest, near_sim = _soft_max_similarity(model, space.vectors)
        total += tuning.meaning_weight * _zscore(soft)
    if model.pos_keywords is not None and n:
        total += tuning.neighbour_weight * _zscore(keyword_neighbours(model, space))
    if model.positives and n and space.categories:
        total += tuning.category_weight * _zscore(_category_affinity(model, space))
    if len(model.neg_vectors) and n:
        total -= tuning.negative_weight * _zscore((space.vectors @ model.neg_vectors.T).max(axis=1))
    total += _follow_bonus(model, space)
    return Scored(total, nearest, near_sim)


def _category_affinity(model: UserModel, space: Space) -> np.ndarray:
    """How much more often the user's papers carry each candidate's categories than the window."""
    counts = np.zeros(len(space.categories), dtype=np.float32)
    total = 0.0
    for s in model.positives:
        weight = recency(s.age_days, model.tuning)
        total += weight
        for c in set(s.doc.categories):
            if c in space.categories:
                counts[space.categories[c]] += weight
    ratio = np.log(((counts + 0.1) / (total + 0.2)) / space.category_prior)  # type: ignore[operator]
    rows = space.category_rows
    assert rows is not None
    # The best of the paper's categories (never below 0), plus a little of all of them.
    best = np.asarray(rows.multiply(ratio[None, :]).max(axis=1).todense()).ravel()
    scored: np.ndarray = best + 0.3 * (rows @ ratio)
    return scored


def _follow_bonus(model: UserModel, space: Space) -> np.ndarray:
    f, t = model.follows, model.tuning
    if f.empty:
        return np.zeros(len(space.docs), dtype=np.float32)
    bonus = np.zeros(len(space.docs), dtype=np.float32)
    if f.authors or f.namesakes:
        bonus += t.author_bonus * np.array([f.follows_author(k) for k in space.author_keys])
    if f.categories and space.category_rows is not None:
        wanted = [space.categories[c] for c in f.categories if c in space.categories]
        hits = np.asarray(space.category_rows[:, wanted].sum(axis=1)).ravel() > 0
        bonus += t.category_bonus * hits
    if f.searches:
        bonus += t.search_bonus * np.array([matched_search(d, f) is not None for d in space.docs])
    return bonus
