"""Small helpers every layer shares (time, dates, chunks, disk full, an LRU map); imports nothing
of ours."""

from __future__ import annotations

import errno
import gc
import logging
import ssl
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import cache
from typing import Any, Generic, TypeVar

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@cache
def tls_context() -> ssl.SSLContext:
    """The system's trusted certificates as one TLS client context, loaded once for the process:
    loading them costs a connection's worth of CPU (~20 ms), and a context serves any number of
    connections, from any thread."""
    return ssl.create_default_context()


class BadDate(ValueError):
    """A date string in none of the expected forms."""


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Fewer passes of the cycle collector for a bulk job (an import, a digest run) and the
    processes it forks: what is loaded before it (modules, the engine) is frozen out of them,
    and the youngest generation is collected every 20,000 allocations instead of 700. Such
    jobs make millions of short-lived objects and few cycles (bench/RESULTS.md: a sixth of an
    import's CPU). The thresholds are restored after; a process that froze its heap before (a
    served worker) keeps exactly that freeze."""
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    if not frozen:
        gc.freeze()
    gc.set_threshold(20_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        if not frozen:
            gc.unfreeze()


def utcnow() -> datetime:
    """The current UTC time as the naive datetime the store keeps."""
    return datetime.now(UTC).replace(tzinfo=None)


def iso(value: date | None) -> str | None:
    """ISO 8601 text of a date or datetime; None stays None."""
    return value.isoformat() if value else None


def parse_day(value: str) -> date:
    """Parse a YYYY-MM-DD day."""
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise BadDate(f"bad day {value!r:.40}, expected YYYY-MM-DD") from exc


def site_url(root: str, path: str) -> str:
    """The address of one of the site's own paths (`/about`) under the path it is served at
    (`/papers/about`); other addresses (`https://…`, `//…`, `#…`) are returned as they are."""
    if root and path.startswith("/") and not path.startswith("//"):
        return root + path
    return path


def site_path(root: str, path: str) -> str | None:
    """The site's own path for a path a browser saw (`/papers/about` → `/about`); None when it
    lies outside the path the site is served at."""
    if not root:
        return path
    if path == root:
        return "/"
    return path[len(root) :] if path.startswith(root + "/") else None


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` items (keeps SQL parameter lists bounded)."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


_SQLITE_FULL = 13  # sqlite3.SQLITE_FULL: "database or disk is full"
_PG_DISK_FULL = "53100"  # PostgreSQL's SQLSTATE disk_full (psycopg.errors.DiskFull)
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


class DiskFull(OSError):
    """A write failed because the disk (or a quota, or the store's size limit) is full."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.ENOSPC, message)


def is_disk_full(exc: BaseException | None) -> bool:
    """True when `exc`, or an error it wraps or was raised from, says the disk is full.

    Recognises SQLite's SQLITE_FULL, PostgreSQL's SQLSTATE 53100 and OSError ENOSPC or EDQUOT,
    through SQLAlchemy's `orig` and exception chains.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if _says_full(exc):
            return True
        orig = getattr(exc, "orig", None)
        if isinstance(orig, BaseException) and _says_full(orig):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _says_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in _NO_SPACE:
        return True
    if getattr(exc, "sqlite_errorcode", None) == _SQLITE_FULL:
        return True
    if getattr(exc, "disk_full", None) is True:  # said by another process (digest writer)
        return True
    return getattr(exc, "sqlstate", None) == _PG_DISK_FULL


class Lru(Generic[K, V]):
    """A thread-safe map of at most `size` entries that drops the least recently used first.

    Reading a key (`get`, `get_many`, `get_or_load`, `get_or_build`) or storing it makes it the
    most recent. A size of 0 keeps nothing.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[K, threading.Lock] = {}

    def get(self, key: K) -> V | None:
        """The value of `key`, or None when it is not kept (see `get_many` for None values)."""
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def get_many(self, keys: Sequence[K]) -> dict[K, V]:
        """The kept values among `keys` (a value may itself be None)."""
        found: dict[K, V] = {}
        with self._lock:
            for key in keys:
                if key in self._items:
                    self._items.move_to_end(key)
                    found[key] = self._items[key]
        return found

    def put(self, key: K, value: V) -> None:
        """Keep `value` under `key`, dropping the least recently used beyond `size`."""
        self.put_many({key: value})

    def put_many(self, values: Mapping[K, V]) -> None:
        """Keep all `values` (in their order), dropping the least recently used beyond `size`."""
        with self._lock:
            self._store(values)

    def pop(self, key: K) -> V | None:
        """Forget `key`; its value, or None when it was not kept."""
        with self._lock:
            return self._items.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def get_or_load(
        self, keys: Sequence[K], load: Callable[[list[K]], Mapping[K, V]]
    ) -> dict[K, V]:
        """The values of `keys`: kept ones, the rest from one `load` of only those (then kept).

        Keys `load` does not return are left out. Loads run outside the lock.
        """
        found = self.get_many(keys)
        missing = [k for k in keys if k not in found]
        if missing:
            loaded = load(missing)
            self.put_many(loaded)
            found.update(loaded)
        return found

    def get_or_build(self, key: K, build: Callable[[], V]) -> V:
        """The value of `key`, built by `build` when missing: once, however many threads ask.

        Concurrent misses on one key wait for a single build instead of each building it; a
        build that raises keeps nothing, so the next call builds again.
        """
        found = self.get_many([key])
        if key in found:
            return found[key]
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        try:
            with building:
                found = self.get_many([key])  # built meanwhile, by the thread we waited for
                if key in found:
                    return found[key]
                value = build()
                with self._lock:  # kept and no longer building in one step: no second build
                    self._store({key: value})
                    self._forget_build(key, building)
                return value
        finally:
            with self._lock:
                self._forget_build(key, building)

    def _forget_build(self, key: K, building: threading.Lock) -> None:
        """Drop the build lock of `key` if it is still `building` (the lock is held).

        A thread that waited on a lock already dropped must not drop a newer thread's lock.
        """
        if self._building.get(key) is building:
            del self._building[key]

    def _store(self, values: Mapping[K, V]) -> None:
        """Keep `values` as the most recent, then trim to `size` (the lock is held)."""
        for key, value in values.items():
            self._items[key] = value
            self._items.move_to_end(key)
        while len(self._items) > max(self.size, 0):
            self._items.popitem(last=False)


class _Shield:
    """Whether the main thread is in a block a stop must not cut in two, and a stop that came."""

    depth = 0
    pending: BaseException | None = None


@contextmanager
def uninterrupted() -> Iterator[None]:
    """A block (a database write) that a stop signal does not cut in two: a stop that arrives
    in it (`stop_now`) takes effect as the block ends. Raised mid-write, the stop could leave
    the connection busy mid-statement, so that the rollback on the way out failed and the
    command ended with a database error instead of its stop line. Signals interrupt the main
    thread only: elsewhere the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _Shield.depth += 1
    try:
        yield
    except BaseException:
        _Shield.depth -= 1
        if not _Shield.depth:
            _Shield.pending = None  # the block's own error ends the command anyway
        raise
    _Shield.depth -= 1
    if not _Shield.depth and _Shield.pending is not None:
        stop, _Shield.pending = _Shield.pending, None
        raise stop


def stop_now(stop: BaseException) -> None:
    """Raise `stop` (from a signal handler), or, inside an `uninterrupted` block of the main
    thread, as that block ends. A second stop while one waits is raised at once: a write
    that hangs (a locked database) can still be cut short."""
    if _Shield.depth and _Shield.pending is None:  # handlers run in the main thread
        _Shield.pending = stop
        return
    raise stop


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is now (test runners swap it between tests)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass
