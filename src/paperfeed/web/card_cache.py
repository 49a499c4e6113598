"""This process's cache of what cards show that rarely changes: papers, enrichment, HTML.

A paper is kept under its `changed_at` (every write to a paper's row or its authors, categories,
versions, links and signals sets it), its repository/Hub facts under the site revision (every
enrichment write bumps it) and the paper's `changed_at`. Both keys are read fresh, in the one
query that also reads votes, comments, flags and submissions, so a change made by any process
shows on the next view. One cache per engine: stores never share entries.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import TYPE_CHECKING, Generic, TypeVar

from jinja2 import Environment
from markupsafe import Markup
from sqlalchemy import Engine

from paperfeed.models import Paper
from paperfeed.store.enrichment import Enrichment

if TYPE_CHECKING:
    from paperfeed.web.views import Card

PAPERS_KEPT = 10_000  # a few hundred bytes to a few kB each
ENRICHMENTS_KEPT = 10_000

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Lru(Generic[K, V]):
    """A small thread-safe least-recently-used map."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, keys: list[K]) -> dict[K, V]:
        """The cached values among `keys` (each found one becomes the most recent)."""
        out: dict[K, V] = {}
        with self._lock:
            for key in keys:
                if key in self._items:
                    self._items.move_to_end(key)
                    out[key] = self._items[key]
        return out

    def put_many(self, values: dict[K, V]) -> None:
        """Store values, dropping the least recently used beyond `size`."""
        with self._lock:
            for key, value in values.items():
                self._items[key] = value
                self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def get_or_load(self, keys: list[K], load: Callable[[list[K]], dict[K, V]]) -> dict[K, V]:
        """The values of `keys`: cached ones, the rest from one `load` call (then kept)."""
        found = self.get_many(keys)
        missing = [k for k in keys if k not in found]
        if missing:
            loaded = load(missing)
            self.put_many(loaded)
            found.update(loaded)
        return found

    def __len__(self) -> int:
        return len(self._items)


PaperKey = tuple[str, datetime]
EnrichmentKey = tuple[str, datetime, int]


class CardCache:
    """Papers by (id, changed_at); enrichment by (id, changed_at, revision), None = none."""

    def __init__(self) -> None:
        self.papers: Lru[PaperKey, Paper] = Lru(PAPERS_KEPT)
        self.enrichment: Lru[EnrichmentKey, Enrichment | None] = Lru(ENRICHMENTS_KEPT)


_caches: weakref.WeakKeyDictionary[Engine, CardCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def cache_for(engine: Engine) -> CardCache:
    """The card cache of one engine (created on first use)."""
    with _caches_lock:
        found = _caches.get(engine)
        if found is None:
            found = _caches[engine] = CardCache()
        return found


BODIES_KEPT = 5_000  # a rendered card body is 1-3 kB


def card_body_renderer(env: Environment) -> Callable[[Card], Markup]:
    """The `card_body` template global: `_macros.html`'s card_main, kept per card content.

    The body is a pure function of the paper, its flags, comments, submission and enrichment
    (the key, compared by value), so a kept rendering is always what rendering now would give;
    upvotes and the reader's own state are rendered around it. Search hits (with a snippet)
    are rendered each time.
    """
    kept: Lru[Hashable, Markup] = Lru(BODIES_KEPT)
    macro: list[Callable[[Card], Markup]] = []

    def card_body(c: Card) -> Markup:
        if not macro:
            macro.append(env.get_template("_macros.html").module.card_main)  # type: ignore[attr-defined]
        if c.snippet is not None:
            return macro[0](c)
        key = (c.paper, c.flags.featured, c.comments, c.submission, c.enrichment)
        found = kept.get_many([key])
        if found:
            return found[key]
        body = macro[0](c)
        kept.put_many({key: body})
        return body

    return card_body
