"""The store: tables, migrations and queries; the only package that talks SQL."""

from paperfeed.store.db import NewerStoreError, connect, in_memory, migrate, open_store
from paperfeed.store.papers import UpsertCounts, get_paper, get_papers, upsert_papers

__all__ = [
    "NewerStoreError",
    "connect",
    "in_memory",
    "migrate",
    "open_store",
    "get_paper",
    "get_papers",
    "upsert_papers",
    "UpsertCounts",
]
