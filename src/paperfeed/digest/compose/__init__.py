"""Choosing each subscriber's papers: personal relevance blended with trending, as matrix ops."""

from paperfeed.digest.compose.items import (
    Digest,
    DigestItem,
    Ranking,
    candidate_item,
    interest_rows,
)
from paperfeed.digest.compose.rank import compose
from paperfeed.digest.compose.scores import (
    AUTHOR_SCORE,
    CATEGORY_SCORE,
    KEYWORD_TEXT_SCORE,
    KEYWORD_TITLE_SCORE,
    _TextIndex,
    trending_vector,
)
from paperfeed.digest.compose.searches import (
    SEARCH_MODE,
    Embeddings,
    open_embeddings,
    saved_search_hits,
)

__all__ = [
    "AUTHOR_SCORE",
    "CATEGORY_SCORE",
    "KEYWORD_TEXT_SCORE",
    "KEYWORD_TITLE_SCORE",
    "SEARCH_MODE",
    "Digest",
    "DigestItem",
    "Embeddings",
    "Ranking",
    "_TextIndex",
    "candidate_item",
    "compose",
    "interest_rows",
    "open_embeddings",
    "saved_search_hits",
    "trending_vector",
]
