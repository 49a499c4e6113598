"""Search: keyword, semantic and hybrid retrieval and similar papers over the store.

The store is the source of truth; the keyword (tantivy) and vector (faiss) indexes are
per-process caches under `data_dir/index`, built and refreshed from it.
"""

from __future__ import annotations

from sqlalchemy import Engine

from paperfeed.search.backfill import embed_papers, load_demo_vectors
from paperfeed.search.results import Hit, SearchResult
from paperfeed.search.service import BadSearch, SearchService
from paperfeed.settings import Settings


def reindex(settings: Settings, engine: Engine) -> None:
    """Rebuild the keyword and vector indexes from the store."""
    service = SearchService(settings, engine)
    try:
        service.rebuild()
    finally:
        service.close()


__all__ = [
    "BadSearch",
    "Hit",
    "SearchResult",
    "SearchService",
    "embed_papers",
    "load_demo_vectors",
    "reindex",
]
