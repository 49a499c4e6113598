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

from __future__ import annotations

import functools
import gzip
import heapq
import itertools
import json
import math
import os
import re
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from threadpoolctl import ThreadpoolController

from paperfeed.latex import plain
from paperfeed.store.papers import author_key
from paperfeed.text import CJK_LETTERS, fold_accents

# scikit-learn and SciPy (most of a second to import) load when a model is first built, so
# that commands which never rank (ingest, search, mail) start without them.
if TYPE_CHECKING:
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

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


def new_vectorizer() -> TfidfVectorizer:
    """Unigram and bigram tf-idf, sublinear, English stop words removed; up to 200,000 terms, so
    that the rare terms a reader's papers share with a new one survive a fit on many papers."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        strip_accents="unicode",
        lowercase=True,
        stop_words="english",
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
        ngram_range=(1, 2),
        max_features=200_000,
        sublinear_tf=True,
        min_df=2,
        max_df=0.3,
        dtype=np.float32,
    )


@dataclass
class Space:
    """Candidate papers in one feature space: tf-idf rows, unit embeddings (zero if missing)."""

    docs: list[Doc]
    vectorizer: TfidfVectorizer
    keywords: sparse.csr_matrix
    vectors: np.ndarray
    index: dict[str, int] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)
    category_rows: sparse.csr_matrix | None = None
    category_prior: np.ndarray | None = None
    terms: np.ndarray | None = None  # feature names, looked up once
    author_keys: list[frozenset[str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.index = {d.id: i for i, d in enumerate(self.docs)}
        if self.terms is None:  # a shared vocabulary passes its names in: ~10 ms to look up
            self.terms = self.vectorizer.get_feature_names_out()
        self.author_keys = [frozenset(author_key(a) for a in d.authors) for d in self.docs]
        names = sorted({c for d in self.docs for c in d.categories})
        self.categories = {c: i for i, c in enumerate(names)}
        rows = [(i, self.categories[c]) for i, d in enumerate(self.docs) for c in set(d.categories)]
        data = np.ones(len(rows), dtype=np.float32)
        at = (np.array([r[0] for r in rows], dtype=int), np.array([r[1] for r in rows], dtype=int))
        from scipy import sparse

        self.category_rows = sparse.csr_matrix((data, at), shape=(len(self.docs), len(names)))
        counts = np.asarray(self.category_rows.sum(axis=0)).ravel()
        self.category_prior = (counts + 1) / (len(self.docs) + 2)


def build_space(docs: Sequence[Doc], vectors: np.ndarray, extra_texts: Sequence[str] = ()) -> Space:
    """Fit keyword features on the candidates (plus any extra texts) and pair them with vectors."""
    vectorizer = new_vectorizer()
    texts = [d.keyword_text for d in docs]
    try:
        vectorizer.fit(texts + list(extra_texts))
    except ValueError:  # too few documents for min_df: fall back to every term
        vectorizer.set_params(min_df=1, max_df=1.0)
        vectorizer.fit(texts + list(extra_texts) or ["paperfeed"])  # no papers: a placeholder
    keywords = vectorizer.transform(texts).tocsr()
    return Space(list(docs), vectorizer, keywords, _unit(vectors, len(docs)))


@dataclass(frozen=True)
class Vocabulary:
    """Keyword features fitted once on a sample of the store, shared by per-reader spaces."""

    vectorizer: TfidfVectorizer
    terms: np.ndarray


def fit_vocabulary(texts: Sequence[str]) -> Vocabulary:
    """Fit the keyword features on these texts (a bounded sample of the store)."""
    vectorizer = new_vectorizer()
    try:
        vectorizer.fit(texts)
    except ValueError:  # too few documents for min_df: every term
        vectorizer.set_params(min_df=1, max_df=1.0)
        vectorizer.fit(list(texts) or ["paperfeed"])
    return Vocabulary(vectorizer, vectorizer.get_feature_names_out())


VOCABULARY_FORMAT = 3  # bump when new_vectorizer's transform or the texts it is fitted on change


def save_vocabulary(vocabulary: Vocabulary, path: Path) -> None:
    """Write fitted keyword features (terms in column order and their idf) atomically: data, not
    a pickle, so reading one back runs no code."""
    data = {
        "format": VOCABULARY_FORMAT,
        "sklearn": _sklearn_version(),
        "terms": [str(t) for t in vocabulary.terms],
        "idf": vocabulary.vectorizer.idf_.tolist(),
        "idf_dtype": str(vocabulary.vectorizer.idf_.dtype),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f"{path.name}.{os.getpid()}.part")
    part.write_bytes(gzip.compress(json.dumps(data).encode(), compresslevel=1))
    part.replace(path)


def _sklearn_version() -> str:
    import sklearn

    return str(sklearn.__version__)


def load_vocabulary(path: Path) -> Vocabulary | None:
    """Keyword features written by `save_vocabulary`; None when missing, unreadable, or written
    by another format or scikit-learn version."""
    try:
        data = json.loads(gzip.decompress(path.read_bytes()))
        if data["format"] != VOCABULARY_FORMAT or data["sklearn"] != _sklearn_version():
            return None
        dtype = {"float32": np.float32, "float64": np.float64}[data["idf_dtype"]]
        terms, idf = list(data["terms"]), np.asarray(data["idf"], dtype=dtype)
    except (OSError, EOFError, ValueError, KeyError, TypeError):
        return None
    if not terms or len(terms) != len(idf) or len(set(terms)) != len(terms):
        return None
    vectorizer = new_vectorizer()
    vectorizer.vocabulary_ = {t: i for i, t in enumerate(terms)}
    vectorizer.idf_ = idf
    return Vocabulary(vectorizer, np.asarray(terms, dtype=object))


def space_in(docs: Sequence[Doc], vectors: np.ndarray, vocabulary: Vocabulary) -> Space:
    """A space over these candidates in an already fitted vocabulary (transform only)."""
    keywords = vocabulary.vectorizer.transform([d.keyword_text for d in docs]).tocsr()
    vec, terms = vocabulary.vectorizer, vocabulary.terms
    return Space(list(docs), vec, keywords, _unit(vectors, len(docs)), terms=terms)


def _unit(vectors: np.ndarray, rows: int) -> np.ndarray:
    if vectors.size == 0:
        return np.zeros((rows, 1), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: np.ndarray = (vectors / np.maximum(norms, 1e-9)).astype(np.float32)
    return unit


@dataclass
class UserModel:
    """A trained per-user model in one space's feature space."""

    term_weights: np.ndarray  # one weight per tf-idf feature
    bias: float
    positives: list[Signal]
    pos_vectors: np.ndarray  # (p, dim) unit vectors of positives that have one
    pos_weights: np.ndarray
    pos_index: list[int]  # which positives the vector rows belong to
    neg_vectors: np.ndarray
    follows: Follows
    tuning: Tuning
    pos_keywords: sparse.csr_matrix | None = None  # (terms, q) tf-idf columns of positives
    # keyword_neighbours over the space trained on (the costly sparse product, done once)
    neighbours: np.ndarray | None = None
    neighbours_of: weakref.ref[Space] | None = None

    @property
    def has_signals(self) -> bool:
        """Whether any paper signal (or follow) trained the model."""
        return bool(self.positives) or not self.follows.empty


def recency(age_days: float, tuning: Tuning) -> float:
    """How much a signal this many days old counts."""
    return float(max(0.5 ** (max(age_days, 0.0) / tuning.half_life_days), tuning.min_recency))


def train(signals: Sequence[Signal], space: Space, follows: Follows, tuning: Tuning) -> UserModel:
    """Fit the user's keyword classifier and collect their positive and negative vectors
    (a paper's several signals taken as one)."""
    signals = one_per_paper(signals, tuning)
    positives = [s for s in signals if s.sign > 0]
    negatives = [s for s in signals if s.sign < 0]
    # Each signal's tf-idf row once: both the classifier and the neighbour part read them.
    x_sig = _rows(space, [s.doc.keyword_text for s in [*positives, *negatives]])
    weights, bias = _keyword_model(positives, negatives, space, tuning, x_sig)
    with_vec = [i for i, s in enumerate(positives) if s.vector is not None]
    # The meaning part keeps the most weighted positives: bounded cost per candidate.
    with_vec = sorted(with_vec, key=lambda i: _weight(positives[i], tuning), reverse=True)
    with_vec = sorted(with_vec[: tuning.max_vectors])
    dim = space.vectors.shape[1]
    pos_vectors = _stack([positives[i].vector for i in with_vec], dim)
    pos_weights = np.array([_weight(positives[i], tuning) for i in with_vec], dtype=np.float32)
    neg_vectors = _stack([s.vector for s in negatives if s.vector is not None], dim)
    model = UserModel(
        weights,
        bias,
        positives,
        pos_vectors,
        pos_weights,
        with_vec,
        neg_vectors,
        follows,
        tuning,
        _neighbour_keywords(positives, tuning, x_sig[: len(positives)]),
    )
    if model.pos_keywords is not None:
        model.neighbours, model.neighbours_of = keyword_neighbours(model, space), weakref.ref(space)
    return model


def _rows(space: Space, texts: Sequence[str]) -> sparse.csr_matrix:
    """Texts' tf-idf rows in the space's features (none: an empty matrix, not an error)."""
    if not texts:
        from scipy import sparse

        return sparse.csr_matrix((0, space.keywords.shape[1]), dtype=np.float32)
    return space.vectorizer.transform(texts).tocsr()


def _neighbour_keywords(
    positives: Sequence[Signal], tuning: Tuning, rows: sparse.csr_matrix
) -> sparse.csr_matrix | None:
    """The most weighted positives' tf-idf rows (`rows`: one per positive) as columns:
    (terms, q), q <= max_neighbours."""
    if not positives or tuning.neighbour_weight == 0 or tuning.max_neighbours <= 0:
        return None
    order = sorted(range(len(positives)), key=lambda i: _weight(positives[i], tuning))
    kept = sorted(order[::-1][: tuning.max_neighbours])
    return rows[kept].T.tocsr().astype(np.float32)


def keyword_neighbours(model: UserModel, space: Space) -> np.ndarray:
    """Each candidate's mean tf-idf cosine to its `neighbour_k` nearest positive papers."""
    n = space.keywords.shape[0]
    if model.pos_keywords is None or n == 0:
        return np.zeros(n, dtype=np.float32)
    trained_on = model.neighbours_of() if model.neighbours_of is not None else None
    if model.neighbours is not None and trained_on is space:  # computed when trained on it
        return model.neighbours
    sims = (space.keywords @ model.pos_keywords).toarray()  # (n, q), q <= max_neighbours
    k = max(min(model.tuning.neighbour_k, sims.shape[1]), 1)
    nearest = np.partition(sims, sims.shape[1] - k, axis=1)[:, -k:]
    mean: np.ndarray = nearest.mean(axis=1, dtype=np.float32)
    return mean


def _weight(signal: Signal, tuning: Tuning) -> float:
    return recency(signal.age_days, tuning) * SOURCE_WEIGHTS.get(signal.source, 1.0)


def _stack(vectors: Sequence[np.ndarray | None], dim: int) -> np.ndarray:
    rows = [v for v in vectors if v is not None and v.shape[-1] == dim]
    if not rows:
        return np.zeros((0, dim), dtype=np.float32)
    return _unit(np.vstack(rows).astype(np.float32), len(rows))


def _keyword_model(
    positives: Sequence[Signal],
    negatives: Sequence[Signal],
    space: Space,
    tuning: Tuning,
    x_sig: sparse.csr_matrix,
) -> tuple[np.ndarray, float]:
    n_terms = space.keywords.shape[1]
    if not positives or space.keywords.shape[0] == 0:
        return np.zeros(n_terms, dtype=np.float32), 0.0
    from scipy import sparse
    from sklearn.svm import LinearSVC

    labelled = [*positives, *negatives]
    x = sparse.vstack([x_sig, space.keywords]).tocsr()
    y = np.r_[np.ones(len(positives)), np.zeros(len(negatives) + space.keywords.shape[0])]
    w_sig = [
        recency(s.age_days, tuning) * (1 if s.sign > 0 else tuning.negative_boost) for s in labelled
    ]
    sample_weight = np.r_[np.array(w_sig), np.ones(space.keywords.shape[0])]
    clf = LinearSVC(class_weight="balanced", C=tuning.svm_c, max_iter=10000, tol=1e-4)
    clf.fit(x, y, sample_weight=sample_weight)
    return clf.coef_[0].astype(np.float32), float(clf.intercept_[0])


def _zscore(values: np.ndarray) -> np.ndarray:
    std = float(values.std())
    return (values - float(values.mean())) / std if std > 1e-9 else np.zeros_like(values)


def _soft_max_similarity(
    model: UserModel, vectors: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Recency-weighted soft maximum of similarity to positives; each row's nearest and its sim."""
    sims = vectors @ model.pos_vectors.T  # (n, p)
    t = model.tuning.softmax_temperature
    logits = sims / t + np.log(model.pos_weights)[None, :]
    top = logits.max(axis=1, keepdims=True)
    soft = (top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))) * t
    nearest = sims.argmax(axis=1)
    return soft, nearest, np.take_along_axis(sims, nearest[:, None], 1)[:, 0]


@dataclass(frozen=True)
class Scored:
    """Scores of a space's rows under a model, with what explains them."""

    scores: np.ndarray
    nearest: np.ndarray  # index into model.pos_index, -1 when no vectors
    near_sim: np.ndarray


def score(model: UserModel, space: Space) -> Scored:
    """Every candidate's score: keyword + meaning + neighbours - negatives + follow bonuses."""
    n = len(space.docs)
    total = np.zeros(n, dtype=np.float32)
    tuning = model.tuning
    if model.positives:
        total += tuning.keyword_weight * _zscore(space.keywords @ model.term_weights)
    nearest, near_sim = np.full(n, -1), np.zeros(n, dtype=np.float32)
    if len(model.pos_vectors) and n:
        soft, nearest, near_sim = _soft_max_similarity(model, space.vectors)
        total += tuning.meaning_weight * _zscore(soft)
    if model.pos_keywords is not None and n:
        total += tuning.neighbour_weight * _zscore(keyword_neighbours(model, space))
    if model.positives and n and space.categories:
        total += tuning.category_weight * _zscore(_category_affinity(model, space))
    if len(model.neg_vectors) and n:
        total -= tuning.negative_weight * _zscore((space.vectors @ model.neg_vectors.T).max(axis=1))
    total += _follow_bonus(model, space)
    return Scored(total, nearest, near_sim)


def _category_affinity(model: UserModel, space: Space) -> np.ndarray:
    """How much more often the user's papers carry each candidate's categories than the window."""
    counts = np.zeros(len(space.categories), dtype=np.float32)
    total = 0.0
    for s in model.positives:
        weight = recency(s.age_days, model.tuning)
        total += weight
        for c in set(s.doc.categories):
            if c in space.categories:
                counts[space.categories[c]] += weight
    ratio = np.log(((counts + 0.1) / (total + 0.2)) / space.category_prior)  # type: ignore[operator]
    rows = space.category_rows
    assert rows is not None
    # The best of the paper's categories (never below 0), plus a little of all of them.
    best = np.asarray(rows.multiply(ratio[None, :]).max(axis=1).todense()).ravel()
    scored: np.ndarray = best + 0.3 * (rows @ ratio)
    return scored


def _follow_bonus(model: UserModel, space: Space) -> np.ndarray:
    f, t = model.follows, model.tuning
    if f.empty:
        return np.zeros(len(space.docs), dtype=np.float32)
    bonus = np.zeros(len(space.docs), dtype=np.float32)
    if f.authors or f.namesakes:
        bonus += t.author_bonus * np.array([f.follows_author(k) for k in space.author_keys])
    if f.categories and space.category_rows is not None:
        wanted = [space.categories[c] for c in f.categories if c in space.categories]
        hits = np.asarray(space.category_rows[:, wanted].sum(axis=1)).ravel() > 0
        bonus += t.category_bonus * hits
    if f.searches:
        bonus += t.search_bonus * np.array([matched_search(d, f) is not None for d in space.docs])
    return bonus


def followed_authors(doc: Doc, follows: Follows) -> list[str]:
    """The paper's authors the user follows (by name, or as the namesake they follow)."""
    if not (follows.authors or follows.namesakes):
        return []
    keys = [author_key(a) for a in doc.authors]
    present = frozenset(keys)
    wanted = follows.authors | {n.key for n in follows.namesakes if n.wrote(present)}
    return [a for a, k in zip(doc.authors, keys, strict=True) if k in wanted]


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def matched_search(doc: Doc, follows: Follows) -> str | None:
    """The first followed search all of whose words occur in the paper's title or abstract."""
    if not follows.searches:
        return None
    words = _words(doc.text)
    for query in follows.searches:
        wanted = _words(query)
        if wanted and wanted <= words:
            return query
    return None


def is_muted(doc: Doc, follows: Follows) -> bool:
    """Whether a mute (keyword, author or category) hides this paper."""
    return mute_reason(doc, follows) is not None


def mute_reason(doc: Doc, follows: Follows) -> str | None:
    """The first mute that hides this paper, in words ("the category cs.CR", "the author Ann
    Lee", "the keyword “llm”"); None when none does."""
    for category in doc.categories:
        if category in follows.muted_categories:
            return f"the category {category}"
    if follows.muted_authors:
        for name in doc.authors:
            if author_key(name) in follows.muted_authors:
                return f"the author {name}"
    text = fold_accents(doc.text.lower())  # "godel" hides "Gödel", "Über" hides "uber"
    for keyword in follows.muted_keywords:
        piece, pattern = _mute_pattern(fold_accents(keyword))
        if piece in text and pattern.search(text):
            return f"the keyword “{keyword}”"
    return None


@functools.lru_cache(maxsize=4096)
def _mute_pattern(keyword: str) -> tuple[str, re.Pattern[str]]:
    """A muted keyword as a whole word or phrase, its plural and its numbered versions: muting
    "LLM" hides papers on "LLMs", "agent" those on "agents", "diffusion model" those on
    "diffusion models", "Qwen" those on "Qwen2.5" and "Llama" those on "Llama3". With it, a
    piece of text every match contains: a paper without it is passed at once (the pattern's
    look-behind runs at every character; a day page with 6 muted words spent 60 ms in it)."""
    word = keyword.lower()
    versions = r"|\d+(?:\.\d+)*" if word[-1:].isalpha() else ""
    # A phrase's words may be joined by spaces or hyphens: "language model", "language-model".
    parts = [w for w in re.split(r"[\s\-]+", word) if w]
    words = r"[\s\-]+".join(re.escape(w) for w in parts)
    # Not inside a longer word ("C++" ends in no letter, so \b would not do after it). Chinese
    # and Japanese are written without spaces: their characters are no part of a word here.
    pattern = rf"(?<!{_LETTER}){words or re.escape(word)}(?:s|es{versions})?(?!{_LETTER})"
    return (parts[0] if parts else word), re.compile(pattern)


_LETTER = f"[^\\W{CJK_LETTERS}]"  # a word's character that is not Han or kana


@dataclass(frozen=True)
class Recommendation:
    """One ranked paper, its score and the one-line reason."""

    id: str
    score: float
    why: str


def rank(
    model: UserModel,
    space: Space,
    limit: int,
    exclude: frozenset[str] = frozenset(),
    only: frozenset[str] | None = None,
    show_muted: bool = False,
) -> list[Recommendation]:
    """The top `limit` candidates (among `only`; `exclude` and, unless `show_muted`, what the
    user mutes left out), each with why."""
    # One BLAS thread: these products are small, and threads fighting over cores cost 4x.
    with _threads().limit(limits=1, user_api="blas"):
        scored = score(model, space)
    f = model.follows
    mutes = not show_muted and bool(f.muted_keywords or f.muted_authors or f.muted_categories)
    shown = max(limit, model.tuning.mmr_depth * 2)
    order: list[int] = []
    # Best first; the argsort is stable, so ties keep the window's order.
    for i in np.argsort(-scored.scores, kind="stable"):
        d = space.docs[i]
        if only is not None and d.id not in only:
            continue
        if d.id not in exclude and not (mutes and is_muted(d, f)):
            order.append(int(i))
            if len(order) >= shown:
                break
    if limit > 1:  # MMR's (40, dim) product too: on many BLAS threads it cost ~30 ms a feed
        with _threads().limit(limits=1, user_api="blas"):
            order = _mmr(order, scored.scores, space.vectors, model.tuning)
    return [
        Recommendation(space.docs[i].id, float(scored.scores[i]), explain(model, space, scored, i))
        for i in order[:limit]
    ]


@functools.cache
def _threads() -> ThreadpoolController:
    return ThreadpoolController()


def _mmr(order: list[int], scores: np.ndarray, vectors: np.ndarray, tuning: Tuning) -> list[int]:
    """Re-pick the first `mmr_depth` items from twice as many by maximal marginal relevance."""
    depth = tuning.mmr_depth
    pool = order[: depth * 2]
    if len(pool) < 3 or tuning.mmr_lambda >= 1:
        return order
    rel = _zscore(scores[pool])
    sims = vectors[pool] @ vectors[pool].T
    chosen: list[int] = []
    best_sim = np.full(len(pool), -1.0, dtype=np.float32)
    free = np.ones(len(pool), dtype=bool)
    for _ in range(min(depth, len(pool))):
        value = tuning.mmr_lambda * rel - (1 - tuning.mmr_lambda) * np.maximum(best_sim, 0) * 4
        value[~free] = -np.inf
        pick = int(np.argmax(value))
        chosen.append(pick)
        free[pick] = False
        best_sim = np.maximum(best_sim, sims[pick])
    picked = [pool[i] for i in chosen]
    taken = set(picked)
    return picked + [i for i in order if i not in taken]


def explain(model: UserModel, space: Space, scored: Scored, row: int) -> str:
    """One line saying why this paper is recommended."""
    doc, f = space.docs[row], model.follows
    authors = followed_authors(doc, f)
    if authors:
        return f"by {authors[0]}, whom you follow"
    query = matched_search(doc, f)
    if query:
        return f"matches your search “{query}”"
    near = int(scored.nearest[row])
    if near >= 0 and scored.near_sim[row] >= model.tuning.near_threshold:
        sig = model.positives[model.pos_index[near]]
        return f"close to “{_clip(sig.doc.title)}” {SOURCE_PHRASES.get(sig.source, '')}".strip()
    cats = sorted(f.categories.intersection(doc.categories))
    if cats:
        return f"in {cats[0]}, which you follow"
    terms = matching_terms(model, space, row, 3)
    if terms:
        about = "this collection is" if _of_a_collection(model) else "your papers are"
        return "mentions " + ", ".join(f"“{t}”" for t in terms) + f", which {about} about"
    return "new in this period"


def _of_a_collection(model: UserModel) -> bool:
    """Whether the model learned from one collection's papers (they are all its positives)."""
    return bool(model.positives) and model.positives[0].source == "collection"


def _clip(title: str, limit: int = 80) -> str:
    """A title for a one-line reason: its LaTeX as text (a cut through "$\\mathbb{F}_q$" showed
    raw TeX on the page, in the API, feeds and email), then cut at `limit`."""
    title = plain(title)
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


# Words of a comment line's scaffolding (links, page counts, "project page", "accepted at").
# The model may weigh them (a reader's group publishes project pages), but a term made only of
# them says nothing to the reader, so reasons and the learned page never show one. Words that
# are also topics ("code", "data", "table") are not among them.
SCAFFOLDING = frozenset(
    "http https www com org io net edu html github gitlab huggingface co git sites google "  # noqa: SIM905
    "page pages project projects website homepage figure figures fig tables appendix "
    "appendices available supplementary material materials version camera ready accepted "
    "submitted preprint conference proceedings pp".split()
)


# Words any abstract may use, which say nothing of its topic ("tremendous potential"), and of
# them the glue that makes a two-word term read as a fragment ("based inverse", "used design").
GLUE = frozenset(
    "based using used use uses via also well including across within without however "  # noqa: SIM905
    "moreover furthermore first novel new propose proposed proposes present presents "
    "presented show shows shown introduce introduces introduced".split()
)
FILLER = GLUE | frozenset(
    "approach approaches method methods result results paper work works demonstrate "  # noqa: SIM905
    "demonstrates demonstrated potential tremendous inherent capability capabilities diverse "
    "maintaining maintain precise significant significantly effective effectively various "
    "existing recent recently key important achieve achieves achieving improve improves "
    "improved improving extensive experiments experimental enable enables enabling provide "
    "provides providing remarkable promising crucial critical robust robustness superior "
    "outperforms outperform comprehensive study studies task tasks".split()
)


# Words of LaTeX source an abstract's maths leaves among the terms ("$\\mathbb{F}_q$" gives
# "mathbb" and "_q"): the model may weigh them (they mark a mathematical reader), but a reason
# or the learned page naming one shows TeX, not a topic. Greek letters' names are among them;
# words that are also English ("log", "top", "left") are not.
TEX_WORDS = frozenset(
    "mathbb mathcal mathrm mathbf mathfrak mathsf mathit mathscr mathtt mathop mathbbm "  # noqa: SIM905
    "operatorname boldsymbol textbf textit textrm texttt textsc textsf textsuperscript emph "
    "frac dfrac tfrac sqrt cdot cdots ldots vdots ddots leq geq neq le ge ne leqslant "
    "geqslant approx simeq equiv propto infty nabla varepsilon epsilon vartheta varphi "
    "varrho varsigma varpi alpha beta gamma delta zeta eta theta iota kappa lambda mu nu xi "
    "omicron rho sigma tau upsilon phi chi psi omega qquad quad widehat widetilde overline "
    "underline overrightarrow hbar ket bra braket rangle langle lvert rvert lfloor rfloor "
    "lceil rceil emptyset varnothing setminus subseteq supseteq notin forall otimes oplus "
    "rightarrow leftarrow mapsto longrightarrow ell mathrel limits displaystyle bm".split()
)


def shown_term(term: str) -> bool:
    """Whether a term means something to a reader: not only a comment line's scaffolding or
    an abstract's filler, nor a fragment that begins or ends with glue, nor LaTeX source."""
    words = term.split()
    if any(word in TEX_WORDS or word.startswith("_") for word in words):
        return False
    if all(word in SCAFFOLDING or word in FILLER for word in words):
        return False
    return not (len(words) > 1 and (words[0] in GLUE or words[-1] in GLUE))


def matching_terms(model: UserModel, space: Space, row: int, k: int) -> list[str]:
    """The paper's terms that raise its keyword score most (scaffolding left out)."""
    rows = space.keywords  # the row's slice of the CSR arrays (indexing a row costs ~1 ms)
    start, end = rows.indptr[row], rows.indptr[row + 1]
    indices = rows.indices[start:end]
    contrib = rows.data[start:end] * model.term_weights[indices]
    names = space.terms
    assert names is not None
    best = (str(names[indices[i]]) for i in np.argsort(-contrib, kind="stable") if contrib[i] > 0)
    return list(itertools.islice(_apart(t for t in best if shown_term(t)), k))


def _apart(terms: Iterable[str]) -> Iterator[str]:
    """Terms sharing no word with an earlier one: "inverse problems", not then "inverse" and
    "problems" as well."""
    seen: set[str] = set()
    for term in terms:
        words = set(term.split())
        if not words & seen:
            seen |= words
            yield term


def strongest_terms(model: UserModel, space: Space, k: int = 20) -> list[tuple[str, float]]:
    """The terms the keyword model weighs most (positive first; scaffolding left out)."""
    names = space.terms
    assert names is not None
    weights = model.term_weights
    width = k * 8  # the heaviest few first: sorting a whole vocabulary took 40 ms a view
    while True:
        best = ((str(names[i]), float(weights[i])) for i in _heaviest(weights, width))
        found = list(itertools.islice((tw for tw in best if tw[1] > 0 and shown_term(tw[0])), k))
        if len(found) == k or width >= len(weights):
            return found
        width *= 8


def _heaviest(weights: np.ndarray, n: int) -> np.ndarray:
    """Indexes of the `n` largest weights, largest first."""
    if n >= len(weights):
        return np.argsort(-weights)
    top = np.argpartition(-weights, n)[:n]
    return top[np.argsort(-weights[top])]


@dataclass(frozen=True)
class LeanedOn:
    """A paper the model learned from, its signals combined: the strongest one's weight, all
    their sources (a paper saved, rated 👍 and upvoted is one paper, not three)."""

    id: str
    title: str
    weight: float
    sources: tuple[str, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        """The sources as a reader says them: saved, 👍, upvoted, submitted."""
        return tuple(SOURCE_LABELS.get(s, s) for s in self.sources)


def papers_leaned_on(model: UserModel, k: int = 10) -> list[LeanedOn]:
    """The model's positive papers, once each, the most weighted first."""
    by_paper: dict[str, list[Signal]] = {}
    for s in model.positives:
        by_paper.setdefault(s.doc.id, []).append(s)

    # The weights first, the k heaviest described: a library of thousands is not built whole.
    def weight(signals: list[Signal]) -> float:
        return max(_weight(s, model.tuning) for s in signals)

    heaviest = heapq.nlargest(k, by_paper.values(), key=weight)  # = sorted(...)[:k], ties too
    return [_leaned_on(signals, model.tuning) for signals in heaviest]


def positive_papers(model: UserModel) -> int:
    """How many distinct papers the model learned from (a paper's signals count once)."""
    return len({s.doc.id for s in model.positives})


def _leaned_on(signals: Sequence[Signal], tuning: Tuning) -> LeanedOn:
    order = {source: i for i, source in enumerate(SOURCE_LABELS)}  # saved first, then the rest
    every = {source for s in signals for source in (s.source, *s.also)}
    sources = sorted(every, key=lambda x: (order.get(x, len(order)), x))
    weight = max(_weight(s, tuning) for s in signals)
    return LeanedOn(signals[0].doc.id, signals[0].doc.title, weight, tuple(sources))


def clamp_age(days: float) -> float:
    """Ages are never negative and never NaN."""
    return 0.0 if math.isnan(days) else max(days, 0.0)
