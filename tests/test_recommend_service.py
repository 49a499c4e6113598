"""The recommender's per-process caches (`paperfeed.recommend.service`)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from paperfeed.recommend.service import _Lru


def test_concurrent_misses_build_a_key_once_and_all_get_it() -> None:
    """Eight page views on a cold cache wait for one space build instead of making eight."""
    cache: _Lru[str, list[int]] = _Lru(4)
    builds: list[int] = []
    start = threading.Barrier(8)

    def build() -> list[int]:
        builds.append(1)
        time.sleep(0.5)  # a candidate space takes seconds to build
        return [len(builds)]

    def view() -> list[int]:
        start.wait()
        return cache.get("week", build)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _i: view(), range(8)))
    assert len(builds) == 1
    assert all(r is results[0] for r in results)


def test_a_failed_build_is_tried_again_and_the_cache_stays_bounded() -> None:
    cache: _Lru[int, int] = _Lru(2)

    def boom() -> int:
        raise RuntimeError("store down")

    with pytest.raises(RuntimeError):
        cache.get(1, boom)
    assert cache.get(1, lambda: 10) == 10
    for key in (2, 3):
        cache.get(key, lambda k=key: k * 10)  # type: ignore[misc]
    assert cache.get(1, lambda: -1) == -1  # 1 was the least recently used: evicted
