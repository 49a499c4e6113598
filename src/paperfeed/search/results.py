"""What a search returns: pure data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hit:
    """One paper in a result list; `snippet` is HTML-safe with the matched words in <mark>."""

    id: str
    title: str
    score: float
    snippet: str


@dataclass(frozen=True)
class SearchResult:
    """A page of hits, how many papers matched, the mode used and why it fell back (if it did)."""

    hits: list[Hit]
    total: int
    mode: str
    fallback: str | None = None
