"""A semantic search among a few named papers (a conference's) finds their exact nearest: the ANN's
candidates from the whole store hold few of a small set's papers."""

from __future__ import annotations

import numpy as np
import pytest

from paperfeed.search.service.dense import _exact_among
from paperfeed.search.vectors import FaissIndex, exact_search, normalise


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_the_nearest_among_named_papers_are_those_a_full_comparison_finds(kind: str) -> None:
    rng = np.random.default_rng(7)
    vectors = normalise(rng.normal(size=(3_000, 32)).astype(np.float32))
    ids = [f"2606.{n:05d}" for n in range(len(vectors))]
    index = FaissIndex(32, kind)
    index.add(ids, vectors)
    query = normalise(vectors[0] + 0.3 * rng.normal(size=32).astype(np.float32))
    among = [n for n in range(1, 3_000, 37)]  # 81 papers, the query's own left out
    want = exact_search(vectors[among], query, 10)
    got = _exact_among(index, query, frozenset(ids[n] for n in among), 10)
    assert [pid for pid, _s in got] == [ids[among[i]] for i, _s in want]
    assert [s for _p, s in got] == pytest.approx([s for _i, s in want], abs=1e-4)
    # the ANN's own first 100 over every paper hold few of them: why the set is compared whole
    near = {pid for pid, _s in index.search(query, 100)}
    assert len(near & {ids[n] for n in among}) < 10
    assert _exact_among(index, query, frozenset({"2606.99999"}), 10) == []  # not indexed
