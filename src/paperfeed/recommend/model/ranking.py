"""The top candidates, mutes left out, diversified by maximal marginal relevance (MMR)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from threadpoolctl import ThreadpoolController

from paperfeed.recommend.model.explanation import explain
from paperfeed.recommend.model.features import Space
from paperfeed.recommend.model.mutes import is_muted
from paperfeed.recommend.model.scoring import _zscore, score
from paperfeed.recommend.model.signals import Tuning
from paperfeed.recommend.model.training import UserModel


@dataclass(frozen=True)
class Recommendation:
    """One ranked paper, its score and the one-line reason."""

    id: str
    score: float
    why: str


def rank(
    model: UserModel,
    space: Space,
    limit: int,
    exclude: frozenset[str] = frozenset(),
    only: frozenset[str] | None = None,
    show_muted: bool = False,
    explained: int | None = None,
) -> list[Recommendation]:
    """The top `limit` candidates (among `only`; `exclude` and, unless `show_muted`, what the
    user mutes left out), each with why; with `explained`, only the first that many (the
    others' why is empty: a page that counts deeper than it shows need not word them)."""
    # One BLAS thread: these products are small, and threads fighting over cores cost 4x.
    with _threads().limit(limits=1, user_api="blas"):
        scored = score(model, space)
    f = model.follows
    mutes = not show_muted and bool(f.muted_keywords or f.muted_authors or f.muted_categories)
    shown = max(limit, model.tuning.mmr_depth * 2)
    order: list[int] = []
    # Best first, and of equal scores the newest first (a reader who follows categories only
    # scores each of their papers alike: the window's order put its oldest day first, and
    # today's papers out of reach); of one day, the papers of a followed category's own
    # (primary) before those cross-listed to it, as arXiv lists a day; the sort is stable, so
    # full ties keep the window's order.
    days = space.days if space.days is not None else np.zeros(len(space.docs), np.int64)
    for i in np.lexsort((-_own_category(space, f.categories), -days, -scored.scores)):
        d = space.docs[i]
        if only is not None and d.id not in only:
            continue
        if d.id not in exclude and not (mutes and is_muted(d, f)):
            order.append(int(i))
            if len(order) >= shown:
                break
    if limit > 1:  # MMR's (40, dim) product too: on many BLAS threads it cost ~30 ms a feed
        with _threads().limit(limits=1, user_api="blas"):
            order = _mmr(order, scored.scores, space.vectors, model.tuning)
    worded = limit if explained is None else explained
    return [
        Recommendation(
            space.docs[i].id,
            float(scored.scores[i]),
            explain(model, space, scored, i) if n < worded else "",
        )
        for n, i in enumerate(order[:limit])
    ]


def _own_category(space: Space, followed: frozenset[str]) -> np.ndarray:
    """1 for each paper whose primary category the reader follows, else 0."""
    wanted = [space.categories[c] for c in followed if c in space.categories]
    if not wanted or space.primary is None:
        return np.zeros(len(space.docs), np.int8)
    return np.isin(space.primary, wanted).astype(np.int8)


@functools.cache
def _threads() -> ThreadpoolController:
    return ThreadpoolController()


def _mmr(order: list[int], scores: np.ndarray, vectors: np.ndarray, tuning: Tuning) -> list[int]:
    """Re-pick the first `mmr_depth` items from twice as many by maximal marginal relevance."""
    depth = tuning.mmr_depth
    pool = order[: depth * 2]
    if len(pool) < 3 or tuning.mmr_lambda >= 1:
        return order
    rel = _zscore(scores[pool])
    sims = vectors[pool] @ vectors[pool].T
    chosen: list[int] = []
    best_sim = np.full(len(pool), -1.0, dtype=np.float32)
    free = np.ones(len(pool), dtype=bool)
    for _ in range(min(depth, len(pool))):
        value = tuning.mmr_lambda * rel - (1 - tuning.mmr_lambda) * np.maximum(best_sim, 0) * 4
        value[~free] = -np.inf
        pick = int(np.argmax(value))
        chosen.append(pick)
        free[pick] = False
        best_sim = np.maximum(best_sim, sims[pick])
    picked = [pool[i] for i in chosen]
    taken = set(picked)
    return picked + [i for i in order if i not in taken]
