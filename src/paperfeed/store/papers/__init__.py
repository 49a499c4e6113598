"""Reading and writing papers: version-aware, idempotent batch upserts."""

from paperfeed.store.papers.bulk_insert import Converter, Row
from paperfeed.store.papers.keys import author_key
from paperfeed.store.papers.loading import change_stamps, find_by_title_keys, get_paper, get_papers
from paperfeed.store.papers.merge import merge_paper
from paperfeed.store.papers.upsert import UpsertCounts, fingerprint, mark_withdrawn, upsert_papers
from paperfeed.store.tables import paper_authors

__all__ = [
    "Converter",
    "Row",
    "UpsertCounts",
    "author_key",
    "change_stamps",
    "find_by_title_keys",
    "fingerprint",
    "get_paper",
    "get_papers",
    "mark_withdrawn",
    "merge_paper",
    "paper_authors",
    "upsert_papers",
]
