"""The personal ranker: pure functions over papers, vectors and a user's signals (no I/O).

A user's model has three parts, trained on the same weighted signals:

- keywords: a linear classifier over tf-idf features (arxiv-sanity-lite's idea), positives
  against the candidate papers as unlabelled background, explicit negatives weighted up;
- meaning: a recency-weighted soft maximum of cosine similarity to the positive papers'
  stored embeddings (several interests stay several), minus similarity to negatives;
- neighbours: the mean tf-idf cosine of each candidate to its few nearest single positive
  papers (an author's topics are several: the closest matches count, not the average).

Scores are standardised per part and summed; follows add bonuses, mutes remove papers,
and maximal marginal relevance (MMR) diversifies the top of the list.
"""

from paperfeed.recommend.model.explanation import (
    FILLER,
    GLUE,
    SCAFFOLDING,
    TEX_WORDS,
    LeanedOn,
    explain,
    matching_terms,
    papers_leaned_on,
    positive_papers,
    shown_term,
    strongest_terms,
)
from paperfeed.recommend.model.features import (
    VOCABULARY_FORMAT,
    Space,
    Vocabulary,
    build_space,
    fit_vocabulary,
    load_vocabulary,
    new_vectorizer,
    save_vocabulary,
    space_in,
)
from paperfeed.recommend.model.features import _unit as _unit
from paperfeed.recommend.model.mutes import _mute_pattern as _mute_pattern
from paperfeed.recommend.model.mutes import (
    followed_authors,
    is_muted,
    matched_search,
    mute_reason,
)
from paperfeed.recommend.model.ranking import (
    Recommendation,
    rank,
)
from paperfeed.recommend.model.ranking import _mmr as _mmr
from paperfeed.recommend.model.scoring import (
    Scored,
    score,
)
from paperfeed.recommend.model.signals import (
    SOURCE_LABELS,
    SOURCE_PHRASES,
    SOURCE_WEIGHTS,
    Doc,
    Follows,
    Namesake,
    Signal,
    Tuning,
    clamp_age,
    one_per_paper,
    recency,
)
from paperfeed.recommend.model.training import (
    UserModel,
    keyword_neighbours,
    train,
)

__all__ = [
    "SOURCE_WEIGHTS",
    "SOURCE_PHRASES",
    "SOURCE_LABELS",
    "Tuning",
    "Doc",
    "Signal",
    "one_per_paper",
    "Namesake",
    "Follows",
    "new_vectorizer",
    "Space",
    "build_space",
    "Vocabulary",
    "fit_vocabulary",
    "VOCABULARY_FORMAT",
    "save_vocabulary",
    "load_vocabulary",
    "space_in",
    "UserModel",
    "recency",
    "train",
    "keyword_neighbours",
    "Scored",
    "score",
    "followed_authors",
    "matched_search",
    "is_muted",
    "mute_reason",
    "Recommendation",
    "rank",
    "explain",
    "SCAFFOLDING",
    "GLUE",
    "FILLER",
    "TEX_WORDS",
    "shown_term",
    "matching_terms",
    "strongest_terms",
    "LeanedOn",
    "papers_leaned_on",
    "positive_papers",
    "clamp_age",
]
