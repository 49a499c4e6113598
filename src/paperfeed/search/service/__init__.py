"""SearchService: keyword, semantic and hybrid search and similar papers over one store."""

from paperfeed.search.service.dense import HYBRID_DEEP, HYBRID_DEPTH, PRF_WEIGHT, DenseRanking
from paperfeed.search.service.model import (
    NOTHING_TO_EMBED,
    QUERY_VECTORS_KEPT,
    TOO_SLOW,
    QueryModel,
)
from paperfeed.search.service.searching import (
    MAX_LIMIT,
    MAX_OFFSET,
    MODES,
    SIMILAR_KEPT,
    SORTS,
    BadSearch,
    SearchService,
)
from paperfeed.search.service.upkeep import (
    SAVE_EVERY,
    SMALL_INDEX,
    STORE_FILE,
    VECTORS_ADDED_AT_ONCE,
    IndexUpkeep,
)

__all__ = [
    "QUERY_VECTORS_KEPT",
    "TOO_SLOW",
    "NOTHING_TO_EMBED",
    "QueryModel",
    "STORE_FILE",
    "SAVE_EVERY",
    "SMALL_INDEX",
    "VECTORS_ADDED_AT_ONCE",
    "IndexUpkeep",
    "HYBRID_DEPTH",
    "HYBRID_DEEP",
    "PRF_WEIGHT",
    "DenseRanking",
    "MODES",
    "SORTS",
    "MAX_LIMIT",
    "MAX_OFFSET",
    "SIMILAR_KEPT",
    "BadSearch",
    "SearchService",
]
