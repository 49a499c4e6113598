"""What the ranker sees and learns from: its knobs, papers, a user's signals and follows."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

SOURCE_WEIGHTS = {
    "library": 1.0,
    "collection": 1.0,
    "rating": 1.0,
    "upvote": 0.7,
    "submission": 0.8,
}
SOURCE_PHRASES = {  # a feed ranked by one collection: its papers are "in this collection"
    "library": "in your library",
    "collection": "in this collection",
    "rating": "which you rated 👍",
    "upvote": "which you upvoted",
    "submission": "which you submitted",
}
SOURCE_LABELS = {
    "library": "saved",
    "collection": "in the collection",
    "rating": "👍",
    "upvote": "upvoted",
    "submission": "submitted",
}


@dataclass(frozen=True)
class Tuning:
    """The ranker's knobs (defaults tuned with bench/eval_recommend.py on one cut date)."""

    half_life_days: float = 60.0  # a signal this old counts half
    min_recency: float = 0.25  # ... and never less than this
    keyword_weight: float = 1.0
    meaning_weight: float = 0.5
    category_weight: float = 0.5
    negative_weight: float = 0.5
    softmax_temperature: float = 0.05
    svm_c: float = 0.1
    negative_boost: float = 3.0
    author_bonus: float = 6.0
    category_bonus: float = 0.5
    search_bonus: float = 2.0
    mmr_lambda: float = 0.85
    mmr_depth: int = 20
    near_threshold: float = 0.45
    max_vectors: int = 128  # positives the meaning part compares each candidate with
    neighbour_weight: float = 0.75  # tf-idf similarity to the nearest positive papers
    neighbour_k: int = 3  # ... averaged over this many
    max_neighbours: int = 256  # positives the neighbour part compares each candidate with


@dataclass(frozen=True)
class Doc:
    """What the ranker may see of a paper."""

    id: str
    title: str
    abstract: str
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    day: date | None = None
    comments: str = ""  # the authors' comment line ("Accepted at MICCAI 2026", a project page)

    @property
    def text(self) -> str:
        """Title and abstract: what mutes and followed searches are matched against."""
        return f"{self.title}. {self.abstract}"

    @property
    def keyword_text(self) -> str:
        """Title, abstract and the comment line: the text keyword features are built from. The
        comment names venues, workshops and project pages that a reader's papers share with new
        ones (bench/RESULTS.md, "For you ranker, fifth round")."""
        return f"{self.text} {self.comments}" if self.comments else self.text


@dataclass(frozen=True)
class Signal:
    """A paper the user acted on: sign (+1/-1), source, when, and its stored vector."""

    doc: Doc
    sign: int
    source: str
    age_days: float
    vector: np.ndarray | None = None
    also: tuple[str, ...] = ()  # the paper's other sources, merged into this one


def one_per_paper(signals: Sequence[Signal], tuning: Tuning) -> list[Signal]:
    """Each paper's signals as one, so a paper saved, rated 👍 and upvoted is learned from once
    (not as three identical rows, three of the meaning part's vectors and the same paper three
    times among a candidate's nearest): its explicit rating when it has one (a 👎 outweighs a
    save), otherwise its most weighted signal; the others' sources kept in `also`."""
    by_paper: dict[str, list[Signal]] = {}
    for s in signals:
        by_paper.setdefault(s.doc.id, []).append(s)
    merged = []
    for group in by_paper.values():
        rated = [s for s in group if s.source == "rating"]
        best = max(rated or group, key=lambda s: _weight(s, tuning))
        others = tuple(dict.fromkeys(s.source for s in group if s is not best))
        merged.append(replace(best, also=others) if others else best)
    return merged


@dataclass(frozen=True)
class Namesake:
    """One of the authors who share a name: the name's key and the keys of the co-authors that
    tell them apart (the name's own key never among them)."""

    key: str
    coauthors: frozenset[str]

    def wrote(self, keys: frozenset[str]) -> bool:
        """Whether a paper with these author keys is theirs: it has the name and one of the
        co-authors."""
        return self.key in keys and not self.coauthors.isdisjoint(keys)


@dataclass(frozen=True)
class Follows:
    """What the user follows and mutes (values already normalised as the store keeps them):
    `authors` every author of a name, `namesakes` one author among several of a name."""

    authors: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    searches: tuple[str, ...] = ()
    muted_keywords: tuple[str, ...] = ()
    muted_authors: frozenset[str] = frozenset()
    muted_categories: frozenset[str] = frozenset()
    namesakes: tuple[Namesake, ...] = ()

    @property
    def empty(self) -> bool:
        """True when nothing is followed."""
        return not (self.authors or self.namesakes or self.categories or self.searches)

    def follows_author(self, keys: frozenset[str]) -> bool:
        """Whether a paper with these author keys is by an author the user follows."""
        return not keys.isdisjoint(self.authors) or any(n.wrote(keys) for n in self.namesakes)


def recency(age_days: float, tuning: Tuning) -> float:
    """How much a signal this many days old counts."""
    return float(max(0.5 ** (max(age_days, 0.0) / tuning.half_life_days), tuning.min_recency))


def _weight(signal: Signal, tuning: Tuning) -> float:
    return recency(signal.age_days, tuning) * SOURCE_WEIGHTS.get(signal.source, 1.0)


def clamp_age(days: float) -> float:
    """Ages are never negative and never NaN."""
    return 0.0 if math.isnan(days) else max(days, 0.0)
