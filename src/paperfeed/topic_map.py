"""Where each paper of a list grouped by topic sits on a map: a topic's papers together, topics
that mean alike near each other, a topic's area as its share of the papers.

Two steps of scikit-learn: the topics' centres are placed by metric MDS over their cosine
distances (at most 20 points), and each topic's papers around its centre by the first two
principal components of their vectors. t-SNE over every paper took seconds for a day and
over half a minute for 5,000 papers on a 2-core machine (scikit-learn's and openTSNE's,
bench/RESULTS.md); this takes milliseconds, and the topics are what the map is read by.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.decomposition import PCA
from sklearn.manifold import MDS

RADIUS = 0.45  # a topic holding every paper; one of a share s: RADIUS × √s (centres span ±1)
GAP = 1.15  # topics kept this far apart: their radii's sum times GAP
MARGIN = 0.03  # of the map's width and height, left empty at each edge
_ROUNDS = 200  # rounds of pushing overlapping topics apart


def layout(vectors: np.ndarray, groups: Sequence[Sequence[int]]) -> np.ndarray:
    """Positions in [0, 1] × [0, 1] of the papers (rows of `vectors`), each group's papers
    (indexes into them) around the group's place; a paper in no group sits in the middle. The
    same input gives the same map."""
    out = np.full((len(vectors), 2), 0.5)
    members = [np.asarray(g, np.int64) for g in groups if len(g)]
    if not members:
        return out
    n = sum(len(g) for g in members)
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    centres = np.vstack([_unit(unit[g].mean(axis=0)) for g in members])
    radii = RADIUS * np.sqrt(np.array([len(g) / n for g in members]))
    places = _apart(_places(centres), radii)
    for g, place, radius in zip(members, places, radii, strict=True):
        out[g] = place + radius * _spread(unit[g])
    return _fit(out, np.concatenate(members))


def _unit(v: np.ndarray) -> np.ndarray:
    return np.asarray(v / max(float(np.linalg.norm(v)), 1e-9))


def _places(centres: np.ndarray) -> np.ndarray:
    """The topics' centres in the plane, within ±1, as far apart as their meanings."""
    k = len(centres)
    if k == 1:
        return np.zeros((1, 2))
    if k == 2:
        return np.array([[-0.5, 0.0], [0.5, 0.0]])
    distances = np.clip(1.0 - centres @ centres.T, 0.0, 2.0)
    np.fill_diagonal(distances, 0.0)
    distances = (distances + distances.T) / 2
    if float(distances.max()) <= 1e-9:  # topics of one meaning (copies): side by side
        return _ring(k)
    mds = MDS(n_components=2, metric="precomputed", init="classical_mds", random_state=0)
    with np.errstate(all="ignore"):
        placed = np.asarray(mds.fit_transform(distances), np.float64)
    if not np.isfinite(placed).all():
        return _ring(k)
    placed -= placed.mean(axis=0)
    return placed / max(float(np.abs(placed).max()), 1e-9)


def _ring(k: int) -> np.ndarray:
    """k places evenly on the unit circle."""
    angles = np.arange(k) * 2 * np.pi / k
    return np.stack([np.cos(angles), np.sin(angles)], axis=1)


def _apart(places: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """The centres moved the least that keeps no two topics overlapping (pushed apart in
    turns, each pair by half its overlap)."""
    p = places.copy()
    need = (radii[:, None] + radii[None, :]) * GAP
    for _ in range(_ROUNDS):
        delta = p[:, None, :] - p[None, :, :]
        dist = np.linalg.norm(delta, axis=2)
        overlap = np.triu(need - dist, 1)
        if overlap.max() <= 1e-6:
            break
        # two topics at one place part along a fixed direction of their own
        angle = np.add.outer(np.arange(len(p)), np.arange(len(p))) * 2.399963
        fallback = np.stack([np.cos(angle), np.sin(angle)], axis=2)
        apart = dist[..., None] > 1e-9
        direction = np.where(apart, delta / np.maximum(dist, 1e-9)[..., None], fallback)
        push = np.maximum(overlap, 0.0)
        push = push + push.T
        p += (direction * (push / 2)[..., None]).sum(axis=1)
    return p


def _spread(vectors: np.ndarray) -> np.ndarray:
    """A topic's papers around its centre, within about the unit circle: their first two
    principal components, scaled so that nine in ten lie within it."""
    m = len(vectors)
    if m < 3:
        angles = np.arange(m) * np.pi
        return np.stack([np.cos(angles), np.sin(angles)], axis=1) * (0.3 if m > 1 else 0.0)
    if float(np.square(vectors - vectors.mean(axis=0)).sum()) <= 1e-12:
        return np.zeros((m, 2))  # one text many times: one place
    flat = np.asarray(
        PCA(n_components=2, svd_solver="randomized", random_state=0).fit_transform(vectors),
        np.float64,
    )
    norms = np.linalg.norm(flat, axis=1)
    scale = float(np.quantile(norms, 0.9))
    if scale <= 1e-9:
        return np.zeros((m, 2))
    flat /= scale
    # the one in ten farther out drawn in to 1.2: an outlier does not stretch the map
    inward = np.minimum(1.0, 1.2 / np.maximum(np.linalg.norm(flat, axis=1), 1e-9))
    return np.asarray(flat * inward[:, None])


def _fit(points: np.ndarray, placed: np.ndarray) -> np.ndarray:
    """The placed points scaled, each axis alone, into [MARGIN, 1 - MARGIN]."""
    out = points.copy()
    low, high = points[placed].min(axis=0), points[placed].max(axis=0)
    span = np.where(high - low > 1e-9, high - low, 1.0)
    out[placed] = MARGIN + (points[placed] - low) / span * (1 - 2 * MARGIN)
    out[placed] = np.where(high - low > 1e-9, out[placed], 0.5)
    return out
