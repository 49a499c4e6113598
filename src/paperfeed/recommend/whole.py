"""Ranking the whole store ("all time"): a few query vectors per reader, ANN candidates.

Scoring every stored paper is out at 1 M papers (the meaning part alone is ~0.8 s), so the
search's vector index returns a few papers nearest each of the reader's positive papers (or, past
`groups` of them, nearest the centres of small groups of close positives), and the usual ranker
orders that candidate set. Few wide centres were measured worse: their neighbours are generic
papers the model ranks low (bench/RESULTS.md, "All time in the product").
Recommend never imports search: the index is handed in as a `Neighbours` function.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

Neighbours = Callable[[np.ndarray, int], list[list[str]]]
"""Query vectors (q, dim) and k -> for each query, the ids of its k nearest papers, best first
(empty lists when there is no vector index yet)."""


@dataclass(frozen=True)
class Reach:
    """How far an all-time feed looks (defaults measured with `bench/scale.py foryou`)."""

    groups: int = 64  # query vectors per reader: their positives, or centres of close groups
    candidates: int = 600  # papers ranked per reader, split over the queries
    # Newest papers the store's keyword features are fitted on (window spaces use them too):
    # idf from 50,000 papers ranked better than from 5,000 or 20,000 (bench/RESULTS.md).
    vocabulary_papers: int = 50_000
    rounds: int = 6  # k-means iterations


def centres(vectors: np.ndarray, weights: np.ndarray, groups: int, rounds: int = 6) -> np.ndarray:
    """Weighted spherical k-means of unit vectors into at most `groups` unit centres."""
    n = len(vectors)
    if n <= groups:
        return _unit_rows(vectors)
    chosen = _farthest_first(vectors, weights, groups)
    centre = vectors[chosen]
    for _ in range(rounds):
        owner = np.argmax(vectors @ centre.T, axis=1)
        sums = np.zeros_like(centre)
        np.add.at(sums, owner, vectors * weights[:, None])
        empty = ~np.any(sums, axis=1)
        sums[empty] = centre[empty]  # a centre that lost every member stays where it was
        centre = _unit_rows(sums)
    return centre


def _farthest_first(vectors: np.ndarray, weights: np.ndarray, groups: int) -> list[int]:
    """Deterministic seeds: the heaviest positive, then each time the one farthest from all."""
    chosen = [int(np.argmax(weights))]
    nearest = vectors @ vectors[chosen[0]]
    while len(chosen) < groups:
        pick = int(np.argmin(nearest))
        chosen.append(pick)
        nearest = np.maximum(nearest, vectors @ vectors[pick])
    return chosen


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit: np.ndarray = (matrix / np.maximum(norms, 1e-9)).astype(np.float32)
    return unit


def per_query(reach: Reach, queries: int) -> int:
    """Neighbours asked for per query vector: the candidate budget split over the queries."""
    return max(math.ceil(reach.candidates / max(queries, 1)), 1)


def candidate_ids(found: Sequence[list[str]], exclude: frozenset[str], limit: int) -> list[str]:
    """The distinct ids found, the queries' lists interleaved (each query's best first), the
    excluded ones left out, at most `limit`."""
    longest = max((len(ids) for ids in found), default=0)
    merged = [ids[i] for i in range(longest) for ids in found if i < len(ids)]
    out = [pid for pid in dict.fromkeys(merged) if pid not in exclude]
    return out[:limit]
