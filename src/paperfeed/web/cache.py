"""Rendered pages for anonymous visitors, keyed by request and data version (in memory).

They are kept in a `paperfeed.util.Lru` of `page_cache_entries`; entries for an old data version
simply age out.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cached:
    """A rendered response body and its media type."""

    body: str
    media_type: str
    headers: tuple[tuple[str, str], ...] = ()


PageKey = tuple[str, ...]  # the request (path, query, ...) and the data version
