"""Rendered pages for anonymous visitors, keyed by request and data version (in memory).

They are kept in a `paperfeed.util.Lru` of `page_cache_entries`; entries for an old data version
simply age out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from paperfeed.web.compress import Packed


@dataclass(frozen=True)
class Cached:
    """A rendered response body and its media type."""

    body: str
    media_type: str
    headers: tuple[tuple[str, str], ...] = ()
    # The body compressed, made at its first gzip answer (`compress.gzipped`), by field length.
    packed: dict[int, Packed] = field(default_factory=dict, compare=False, repr=False)


PageKey = tuple[str, ...]  # the request (path, query, ...) and the data version


def not_modified(hit: Cached, if_none_match: str) -> bool:
    """Whether a client's If-None-Match names the kept answer's ETag (weakly compared, as
    RFC 9110 asks of GET), so that a 304 answers it."""
    tag = dict(hit.headers).get("ETag")
    held = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return tag is not None and bool(if_none_match) and (tag in held or "*" in held)
