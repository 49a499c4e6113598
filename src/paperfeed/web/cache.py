"""Rendered pages for anonymous visitors, keyed by request and data version (in memory)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True)
class Cached:
    """A rendered response body and its media type."""

    body: str
    media_type: str
    headers: tuple[tuple[str, str], ...] = ()


class PageCache:
    """A small thread-safe LRU; entries for an old data version simply age out."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, ...], Cached] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...]) -> Cached | None:
        """The cached entry for the key, if any."""
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: tuple[str, ...], item: Cached) -> None:
        """Remember an entry, evicting the least recently used beyond the size."""
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = item
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
