"""The topics' map (`paperfeed.topic_map.layout`): each topic's papers together, no two topics
on one another, inside the map, the same every time, and odd lists handled."""

from __future__ import annotations

import numpy as np
import pytest

from paperfeed.topic_map import GAP, RADIUS, layout


def _clustered(sizes: list[int], spread: float = 0.6, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(sizes), 64))
    rows = [centres[i] + rng.normal(size=(n, 64)) * spread for i, n in enumerate(sizes)]
    vectors = np.vstack(rows)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _groups(sizes: list[int]) -> list[list[int]]:
    edges = np.cumsum([0, *sizes])
    return [list(range(int(a), int(b))) for a, b in zip(edges[:-1], edges[1:], strict=True)]


@pytest.mark.parametrize("sizes", [[40, 25], [30, 30, 30, 5, 12, 60, 8, 9, 20, 2, 1]])
def test_each_topic_s_papers_sit_together_and_apart_from_the_others(sizes: list[int]) -> None:
    vectors, groups = _clustered(sizes), _groups(sizes)
    places = layout(vectors, groups)
    assert places.shape == (sum(sizes), 2)
    assert places.min() >= 0.0 and places.max() <= 1.0
    assert np.allclose(places.min(axis=0), 0.03) and np.allclose(places.max(axis=0), 0.97)
    centres = np.vstack([places[g].mean(axis=0) for g in groups])
    for i, g in enumerate(groups):
        own = np.linalg.norm(places[g] - centres[i], axis=1).mean()
        others = [
            np.linalg.norm(places[g] - c, axis=1).mean() for j, c in enumerate(centres) if j != i
        ]
        assert own < min(others), (i, own, min(others))
    assert np.array_equal(places, layout(vectors, groups))  # the same map every time


def test_topics_that_mean_alike_are_drawn_nearer() -> None:
    """Two topics close in meaning (their centres share most of their direction) sit nearer
    each other than either does to a third, unrelated one."""
    rng = np.random.default_rng(1)
    a = rng.normal(size=64)
    b = a + rng.normal(size=64) * 0.4
    far = rng.normal(size=64)
    rows = [c + rng.normal(size=(25, 64)) * 0.3 for c in (a, b, far, rng.normal(size=64))]
    vectors = np.vstack(rows)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    groups = _groups([25, 25, 25, 25])
    places = layout(vectors, groups)
    centre = [places[g].mean(axis=0) for g in groups]
    near = np.linalg.norm(centre[0] - centre[1])
    assert near < np.linalg.norm(centre[0] - centre[2])
    assert near < np.linalg.norm(centre[1] - centre[2])


def test_no_two_topics_overlap_before_the_map_is_scaled() -> None:
    """The topics' circles (radius RADIUS × the square root of their share) are pushed apart:
    the same meaning twice still gives two topics side by side, not one on the other."""
    rng = np.random.default_rng(2)
    centre = rng.normal(size=64)
    rows = [centre + rng.normal(size=(20, 64)) * 0.01 for _ in range(3)]
    vectors = np.vstack(rows)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    groups = _groups([20, 20, 20])
    places = layout(vectors, groups)
    centres = [places[g].mean(axis=0) for g in groups]
    gaps = [np.linalg.norm(centres[i] - centres[j]) for i in range(3) for j in range(i + 1, 3)]
    assert min(gaps) > 0.1
    assert GAP > 1 and 0 < RADIUS < 1


def test_odd_lists_one_paper_one_topic_copies_and_none() -> None:
    assert layout(np.zeros((0, 8)), []).shape == (0, 2)
    one = layout(_clustered([1]), [[0]])
    assert np.allclose(one, 0.5)
    pair = layout(_clustered([2]), [[0, 1]])
    assert pair.shape == (2, 2) and not np.allclose(pair[0], pair[1])
    same = np.tile(_clustered([1]), (6, 1))  # one text six times: one place, no warning
    assert np.allclose(layout(same, [list(range(6))]), 0.5)
    solo = layout(_clustered([10, 1]), _groups([10, 1]))
    assert solo.min() >= 0 and solo.max() <= 1
    left_out = layout(_clustered([5, 5]), [[0, 1, 2, 3, 4]])  # in no group: the middle
    assert np.allclose(left_out[5:], 0.5)
    # three topics of the very same text: side by side, every place a number, no warning
    copies = layout(np.tile(_clustered([1]), (9, 1)), _groups([3, 3, 3]))
    assert np.isfinite(copies).all()
    assert len({tuple(xy) for xy in copies.round(3)}) == 3
