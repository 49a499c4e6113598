"""The shared least-recently-used map (`paperfeed.util.Lru`)."""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from paperfeed.util import Lru


def _keys(cache: Lru[str, int], candidates: str = "abcdefgh") -> list[str]:
    """The kept keys among `candidates`, without touching their recency."""
    return [k for k in candidates if k in cache._items]


def test_the_least_recently_used_goes_first_and_reads_count_as_use() -> None:
    cache: Lru[str, int] = Lru(3)
    for i, key in enumerate("abc"):
        cache.put(key, i)
    assert cache.get("a") == 0  # a is now the most recent: b is the oldest
    cache.put("d", 3)
    assert _keys(cache) == ["a", "c", "d"]
    assert cache.get_many(["c"]) == {"c": 2}
    cache.put("a", 10)  # storing again replaces the value and counts as use
    cache.put("e", 4)
    assert _keys(cache) == ["a", "c", "e"]
    assert cache.get("a") == 10
    assert cache.get("d") is None


def test_the_bound_holds_for_every_way_in() -> None:
    cache: Lru[str, int] = Lru(2)
    cache.put_many({k: i for i, k in enumerate("abcde")})  # in order: the last two stay
    assert len(cache) == 2
    assert cache.get_many(list("abcde")) == {"d": 3, "e": 4}
    cache.get_or_load(list("fgh"), lambda keys: {k: 0 for k in keys})
    assert len(cache) == 2
    cache.get_or_build("x", lambda: 1)
    assert _keys(cache, "ghx") == ["h", "x"]
    nothing: Lru[str, int] = Lru(0)  # a size of 0 keeps nothing (page_cache_entries=0)
    nothing.put("a", 1)
    assert nothing.get("a") is None
    assert len(nothing) == 0


def test_pop_and_clear_forget() -> None:
    cache: Lru[str, int] = Lru(4)
    cache.put_many({"a": 1, "b": 2})
    assert cache.pop("a") == 1
    assert cache.pop("a") is None
    assert cache.get("a") is None
    cache.clear()
    assert len(cache) == 0
    assert cache.get("b") is None


def test_get_or_load_loads_only_the_missing_keys_once() -> None:
    cache: Lru[str, int | None] = Lru(10)
    cache.put("a", 1)
    asked: list[list[str]] = []

    def load(keys: list[str]) -> dict[str, int | None]:
        asked.append(keys)
        return {k: None if k == "n" else ord(k) for k in keys if k != "gone"}

    assert cache.get_or_load(["a", "b", "n", "gone"], load) == {"a": 1, "b": 98, "n": None}
    assert asked == [["b", "n", "gone"]]  # one load, of only the missing keys
    # A kept None is a value (a paper without enrichment), not a miss; a key load did not
    # return is asked for again.
    assert cache.get_or_load(["n", "b", "a", "gone"], load) == {"n": None, "b": 98, "a": 1}
    assert asked == [["b", "n", "gone"], ["gone"]]
    cache.get_or_load(["a", "b"], load)
    assert len(asked) == 2  # everything kept: no load at all


def test_concurrent_misses_build_a_key_once_and_all_get_it() -> None:
    """Eight page views on a cold cache wait for one space build instead of making eight."""
    cache: Lru[str, list[int]] = Lru(4)
    builds: list[int] = []
    start = threading.Barrier(8)

    def build() -> list[int]:
        builds.append(1)
        time.sleep(0.5)  # a candidate space takes seconds to build
        return [len(builds)]

    def view() -> list[int]:
        start.wait()
        return cache.get_or_build("week", build)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _i: view(), range(8)))
    assert len(builds) == 1
    assert all(r is results[0] for r in results)


def test_a_failed_build_is_tried_again_and_the_cache_stays_bounded() -> None:
    cache: Lru[int, int] = Lru(2)

    def boom() -> int:
        raise RuntimeError("store down")

    with pytest.raises(RuntimeError):
        cache.get_or_build(1, boom)
    assert cache.get_or_build(1, lambda: 10) == 10
    for key in (2, 3):
        cache.get_or_build(key, lambda k=key: k * 10)  # type: ignore[misc]
    assert cache.get_or_build(1, lambda: -1) == -1  # 1 was the least recently used: evicted
    assert len(cache) == 2


@pytest.fixture
def eager_switching() -> Iterator[None]:
    """Threads switch as often as the interpreter allows, so unlocked races show up."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


@pytest.mark.usefixtures("eager_switching")
def test_threads_sharing_one_map_never_corrupt_it() -> None:
    """What web threads do to one map at once: every read is right, no call fails, bound kept."""
    cache: Lru[int, int] = Lru(16)
    wrong: list[tuple[int, int | None]] = []

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(3000):
            key = rng.randrange(40)
            match rng.randrange(5):
                case 0:
                    cache.put(key, key * 2)
                case 1:
                    found = cache.get(key)
                    if found not in (None, key * 2):
                        wrong.append((key, found))
                case 2:
                    keys = [key, (key + 1) % 40]
                    got = cache.get_or_load(keys, lambda ks: {k: k * 2 for k in ks})
                    if got != {k: k * 2 for k in keys}:
                        wrong.append((key, None))
                case 3:
                    cache.pop(key)
                case _:
                    if cache.get_or_build(key, lambda k=key: k * 2) != key * 2:  # type: ignore[misc]
                        wrong.append((key, None))

    with ThreadPoolExecutor(8) as pool:
        for done in [pool.submit(worker, seed) for seed in range(8)]:
            done.result()  # re-raises what a worker hit (a KeyError from a torn OrderedDict)
    assert wrong == []
    assert len(cache) <= 16
    assert all(value == key * 2 for key, value in cache._items.items())
    assert cache._building == {}


def test_a_stop_inside_an_uninterrupted_block_waits_for_its_end() -> None:
    """A SIGTERM raised mid-write left a PostgreSQL connection busy mid-statement: the command
    ended with a database error instead of its stop line (one stop in eight, under load)."""
    from paperfeed.util import stop_now, uninterrupted

    done: list[str] = []
    with pytest.raises(KeyboardInterrupt), uninterrupted():
        with uninterrupted():  # nested: the outer block's end is the one that counts
            stop_now(KeyboardInterrupt())
            done.append("inner")
        done.append("outer")
    assert done == ["inner", "outer"]
    with pytest.raises(KeyboardInterrupt):
        stop_now(KeyboardInterrupt())  # outside a block: at once
    with pytest.raises(ValueError), uninterrupted():  # the block's own error wins ...
        stop_now(KeyboardInterrupt())
        raise ValueError("disk")
    with uninterrupted():  # ... and the stop it dropped does not come back later
        done.append("after")
    assert done[-1] == "after"
    with pytest.raises(KeyboardInterrupt), uninterrupted():  # a second stop cuts a hung write
        stop_now(KeyboardInterrupt())
        done.append("one stop waits")
        stop_now(KeyboardInterrupt())
        done.append("never")
    assert done[-1] == "one stop waits"
