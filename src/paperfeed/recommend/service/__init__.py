"""The one ranking path the For you page, the API, the private feed and digests call.

Keyword features (the vocabulary and its idf) are fitted once per day the store changed, on
its newest papers (`Reach.vocabulary_papers`), and shared by every space. Candidate spaces
(those features + stored vectors of a window's papers) are built once per window and store
change; user models once per (user, signal version, space); ranked feeds once per
(model key, window, limit): a returning reader's page view does no ranking at all.

The whole store ("all time") has no shared space: each reader's candidates come from the
search's vector index (`whole.Neighbours`, handed in by the app), so a reader costs a few ANN
searches and a transform.
"""

from paperfeed.recommend.service.all_time import AllTimeRanking
from paperfeed.recommend.service.inputs import (
    acted_on,
    doc_of,
    follows_of,
    grown,
    has_mutes,
    hides,
    mute_reason,
)
from paperfeed.recommend.service.recommender import (
    FEED_CACHE,
    MAX_CANDIDATES,
    SHARED_DAYS,
    Learned,
    Recommender,
    shared_recommender,
)
from paperfeed.recommend.service.vocabulary import (
    APART_FROM,
    CHILD,
    CHILD_SECONDS,
    TEXT_CHUNK,
    VocabularyUpkeep,
    fit_apart,
)
from paperfeed.recommend.service.vocabulary import _fit_in_child as _fit_in_child

__all__ = [
    "MAX_CANDIDATES",
    "FEED_CACHE",
    "SHARED_DAYS",
    "doc_of",
    "follows_of",
    "Learned",
    "Recommender",
    "TEXT_CHUNK",
    "APART_FROM",
    "fit_apart",
    "CHILD",
    "CHILD_SECONDS",
    "VocabularyUpkeep",
    "AllTimeRanking",
    "shared_recommender",
    "acted_on",
    "grown",
    "hides",
    "mute_reason",
    "has_mutes",
]
