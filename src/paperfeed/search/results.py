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
    """A page of hits, how many there are, the mode used and why it fell back (if it did).

    `counted` says whether `total` counts the papers that match the query's words (keyword
    search); semantic and hybrid results are the best matches, and `total` is only how far they
    can be paged. `suggestion` is the query with likely typos corrected ("did you mean").
    """

    hits: list[Hit]
    total: int
    mode: str
    fallback: str | None = None
    counted: bool = True
    suggestion: str | None = None
    hidden: int = 0  # papers the reader's `hide` left out of this page
    estimated: bool = False  # `total` estimated after leaving out what `hide` named
    named: frozenset[str] = frozenset()  # papers the query names (id, URL, title): never hidden
    # Answered while the keyword index is built from scratch: what the answer is limited to.
    limited: str | None = None
