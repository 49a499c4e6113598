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
    """Scores of `ids` (missing ones count as 0) scaled by z-score or min-max over the set."""
    values = np.array([scores.get(pid, 0.0) for pid in ids], dtype=np.float64)
    if len(values) == 0:
        return values
    if how == "minmax":
        span = values.max() - values.min()
        return (values - values.min()) / span if span > 0 else np.zeros_like(values)
    std = values.std()
    return (values - values.mean()) / std if std > 0 else np.zeros_like(values)


def convex(
    parts: Sequence[tuple[Mapping[str, float], float]], ids: Sequence[str], how: str = "zscore"
) -> dict[str, float]:
    """Weighted sum of per-part normalised scores over the candidate ids."""
    total = np.zeros(len(ids), dtype=np.float64)
    for scores, weight in parts:
        if weight:
            total += weight * normalised(scores, ids, how)
    return {pid: float(s) for pid, s in zip(ids, total, strict=True)}


def ranked(scores: Mapping[str, float]) -> list[tuple[str, float]]:
    """(id, score) pairs, best first, ties broken by id for a stable order."""
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))
