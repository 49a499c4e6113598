"""The keyword index: BM25 over title, abstract and authors in a tantivy index on local disk.

A paper's words are indexed in three fields: its title, its author names, and `text`, which
holds the title, the abstract and the names together (stemmed); arXiv's comments and journal
reference ("Accepted at ICML 2026") have a field of their own, `venue`, weighed low. Queries
score the abstract's evidence through `text`, so the abstract itself is only stored, not indexed
twice. An "every word" query intersects one `text` (or `venue`) term per word, not a union of
four fields per word.

The index is a cache derived from the store: `apply` writes rows read from the store, and how far
it has read (`Progress`: a settled cursor plus the newer rows applied) lives in a small JSON file
beside the index.
"""

from paperfeed.search.keyword.index import COMMIT_EVERY, IndexBusy, KeywordIndex, StoredDoc
from paperfeed.search.keyword.queries import (
    FIRST_DAY,
    FULL_NAME_BOOST,
    HYBRID,
    KEYWORD,
    LAST_DAY,
    Filters,
    QueryBuilder,
    Weights,
)
from paperfeed.search.keyword.schema import (
    SCHEMA_VERSION,
    SEARCHABLE_SINCE,
    UMLAUTS_SINCE,
    VENUE_SINCE,
    folder_lock,
    saved_state,
    saved_watermark,
    stemmer,
)

__all__ = [
    "SCHEMA_VERSION",
    "SEARCHABLE_SINCE",
    "UMLAUTS_SINCE",
    "VENUE_SINCE",
    "stemmer",
    "saved_watermark",
    "saved_state",
    "folder_lock",
    "Filters",
    "Weights",
    "KEYWORD",
    "HYBRID",
    "FULL_NAME_BOOST",
    "FIRST_DAY",
    "LAST_DAY",
    "QueryBuilder",
    "COMMIT_EVERY",
    "IndexBusy",
    "StoredDoc",
    "KeywordIndex",
]
