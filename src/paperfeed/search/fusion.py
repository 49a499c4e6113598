"""Fusing keyword and semantic rankings into one: pure functions over (id -> score) maps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

RRF_K = 60


def rrf(rankings: Sequence[tuple[Sequence[str], float]], k: int = RRF_K) -> dict[str, float]:
    """Weighted reciprocal-rank fusion: each ranking adds weight / (k + rank)."""
    out: dict[str, float] = {}
    for ids, weight in rankings:
        for rank, pid in enumerate(ids, start=1):
            out[pid] = out.get(pid, 0.0) + weight / (k + rank)
    return out


def normalised(scores: Mapping[str, float], ids: Sequence[str], how: str) -> np.ndarray:
    """Scores of `ids` scaled by z-score or min-max over those that have one; NaN for the rest."""
    values = np.array([scores.get(pid, np.nan) for pid in ids], dtype=np.float64)
    present = values[~np.isnan(values)]
    if len(present) == 0:
        return values
    if how == "minmax":
        span = present.max() - present.min()
        return (
            (values - present.min()) / span if span > 0 else np.where(np.isnan(values), values, 0)
        )
    std = present.std()
    return (values - present.mean()) / std if std > 0 else np.where(np.isnan(values), values, 0)


def convex(
    parts: Sequence[tuple[Mapping[str, float], float]], ids: Sequence[str], how: str = "zscore"
) -> dict[str, float]:
    """Weighted sum of per-part normalised scores over the candidate ids.

    A part without a score for an id (a paper not embedded yet has no cosine) is not held
    against it: that part counts the id's weighted mean normalised score over the other parts.
    """
    if not ids:
        return {}
    used = [(normalised(scores, ids, how), weight) for scores, weight in parts if weight]
    if not used:
        return dict.fromkeys(ids, 0.0)
    matrix = np.array([values for values, _w in used])
    weights = np.array([w for _v, w in used])[:, None]
    known = ~np.isnan(matrix)
    mean = (np.where(known, matrix, 0) * weights).sum(0) / np.maximum(
        (known * weights).sum(0), 1e-12
    )
    total = (np.where(known, matrix, mean) * weights).sum(0)
    return {pid: float(s) for pid, s in zip(ids, total, strict=True)}


def ranked(scores: Mapping[str, float]) -> list[tuple[str, float]]:
    """(id, score) pairs, best first, ties broken by id for a stable order."""
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))
