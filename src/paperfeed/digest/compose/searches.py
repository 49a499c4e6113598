"""The site's search as digests use it: stored vectors, query embeddings, saved searches' hits."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Protocol

import numpy as np
from sqlalchemy import Engine

from paperfeed.settings import Settings

log = logging.getLogger("paperfeed.digest.compose")


class Embeddings(Protocol):
    """Stored paper vectors, query embedding and the site's search (`paperfeed.search`)."""

    def vectors(self, paper_ids: Sequence[str]) -> dict[str, np.ndarray]: ...

    def embed_query(self, text: str) -> np.ndarray | None: ...

    def min_similarity(self) -> float: ...

    def search_ids(
        self,
        query: str,
        mode: str = ...,
        limit: int = ...,
        since: date | None = ...,
        until: date | None = ...,
    ) -> list[str]: ...

    def rebuilding(self) -> str | None: ...


SEARCH_MODE = "hybrid"  # the site's default: "topics, matched by meaning" search the same way


def saved_search_hits(
    searcher: Embeddings | None, depths: Mapping[str, int], span: tuple[date, date]
) -> dict[str, list[str]]:
    """The site search's first results (as many as `depths` says) for each saved search,
    over the digest's days."""
    out: dict[str, list[str]] = {}
    for value, depth in sorted(depths.items()) if searcher is not None else ():
        assert searcher is not None
        try:
            found = searcher.search_ids(
                value, mode=SEARCH_MODE, limit=depth, since=span[0], until=span[1]
            )
        except Exception as exc:  # noqa: BLE001 - a broken index must not stop the mail
            log.warning("search for a saved search failed (%s); using its stored vector", exc)
            continue
        out[value] = found  # the site search's hits, without the snippets mail never shows
    limited = searcher.rebuilding() if searcher is not None and out else None
    if limited:  # the newest papers (a digest's days) are those its word match reads
        log.warning("saved searches for this digest: %s", limited)
    return out


def open_embeddings(settings: Settings, engine: Engine) -> Embeddings | None:
    """The search feature's stored vectors and query embedder, or None where it is missing."""
    try:
        from paperfeed.search import SearchService  # the search feature may be absent
    except ImportError:
        return None
    return SearchService(settings, engine)
