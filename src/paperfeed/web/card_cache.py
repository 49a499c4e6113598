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
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import TYPE_CHECKING

from jinja2 import Environment
from markupsafe import Markup
from sqlalchemy import Engine

from paperfeed.models import Paper
from paperfeed.store.enrichment import Enrichment
from paperfeed.util import Lru

if TYPE_CHECKING:
    from paperfeed.web.views import Card

PAPERS_KEPT = 10_000  # a few hundred bytes to a few kB each
ENRICHMENTS_KEPT = 10_000

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
        found = kept.get(key)
        if found is not None:
            return found
        body = macro[0](c)
        kept.put(key, body)
        return body

    return card_body
