"""A list of papers grouped into topics: k-means over their embeddings, each topic named by the
words that set its papers apart (class-based tf-idf, as BERTopic names its topics).

Pure computation over texts and unit vectors, no store and no model (each topic's papers are
also placed on a map, `paperfeed.topic_map`): the web's "By topic" view
of a day, week or month reads the papers and their stored vectors and passes them here. About
0.1 s for a day of 300 papers and under 2 s for 5,000 (bench/topics_speed.py), so a view keeps
what it found for the same papers.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from paperfeed.keyphrases import ABSTRACT_WORDS
from paperfeed.latex import plain
from paperfeed.topic_map import layout

MOST_TOPICS = 20  # a month is read as about this many topics, no more
FEWEST = 6  # papers below which a list is one topic
LABEL_WORDS = 3  # words or phrases naming a topic
PHRASE_WEIGHT = 1.5  # a two-word phrase's score, against a word's
_TEXT = 1000  # characters of an abstract read (its topic is in its first sentences)
_STOP = sorted(
    ENGLISH_STOP_WORDS
    | ABSTRACT_WORDS
    | {"using", "new", "task", "tasks", "model", "models", "large"}
)
_TOKEN = r"(?u)\b[^\W\d_][\w-]*[^\W_]\b"  # words of two letters or more, hyphens inside


@dataclass(frozen=True)
class Topic:
    """One topic: the words naming it and its papers (indexes into the list given, in its
    order)."""

    label: tuple[str, ...]
    members: tuple[int, ...]
    # where each member sits on the map of the list (`paperfeed.topic_map`), in [0, 1]²
    places: tuple[tuple[float, float], ...] = ()


def topic_count(n: int) -> int:
    """How many topics a list of `n` papers (with vectors) is read as: about the square root
    of a third of it, 2 to MOST_TOPICS (one below FEWEST)."""
    if n < FEWEST:
        return 1 if n else 0
    return max(2, min(MOST_TOPICS, int(round((n / 3) ** 0.5))))


def find_topics(
    titles: Sequence[str], abstracts: Sequence[str], vectors: np.ndarray
) -> list[Topic]:
    """The papers (titles, abstracts and unit vectors in one order) grouped into topics, the
    largest first; every paper is in exactly one. The same input gives the same topics (kept
    for the KEPT lists last asked, by a digest of the input)."""
    key = _digest(titles, abstracts, vectors)
    with _LOCK:
        if key in _KEPT:
            _KEPT.move_to_end(key)
            return list(_KEPT[key])
    found = _find(titles, abstracts, vectors)
    with _LOCK:
        _KEPT[key] = found
        while len(_KEPT) > KEPT:
            _KEPT.popitem(last=False)
    return list(found)


KEPT = 32  # lists whose topics a process keeps (their indexes only: a few hundred KB at most)
_KEPT: OrderedDict[bytes, tuple[Topic, ...]] = OrderedDict()
_LOCK = threading.Lock()


def _digest(titles: Sequence[str], abstracts: Sequence[str], vectors: np.ndarray) -> bytes:
    h = hashlib.blake2b(digest_size=20)
    h.update(repr(vectors.shape).encode())
    h.update(np.ascontiguousarray(vectors, np.float32).tobytes())
    for text in (*titles, *abstracts):
        h.update(text.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.digest()


def _find(
    titles: Sequence[str], abstracts: Sequence[str], vectors: np.ndarray
) -> tuple[Topic, ...]:
    k = topic_count(len(titles))
    if k == 0:
        return ()
    labels = _clusters(vectors, k)
    k = int(labels.max()) + 1  # fewer where fewer papers differ
    texts = [_text(t, a) for t, a in zip(titles, abstracts, strict=True)]
    names = _names(texts, labels, k)
    groups = [tuple(int(i) for i in np.flatnonzero(labels == j)) for j in range(k)]
    # the largest first; of equal size, the one holding the list's first paper first
    order = sorted(range(k), key=lambda j: (-len(groups[j]), groups[j][:1]))
    kept = [j for j in order if groups[j]]
    where = layout(vectors, [groups[j] for j in kept])
    return tuple(
        Topic(names[j], groups[j], tuple((float(x), float(y)) for x, y in where[list(groups[j])]))
        for j in kept
    )


def _clusters(vectors: np.ndarray, k: int) -> np.ndarray:
    """Each paper's topic, 0 to k - 1 (k at most the number of distinct vectors)."""
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    k = min(k, len(np.unique(unit, axis=0)))
    if k <= 1:
        return np.zeros(len(vectors), np.int64)
    fitted = KMeans(n_clusters=k, n_init=1, random_state=0).fit(unit.astype(np.float64))
    return np.asarray(fitted.labels_, np.int64)


def _text(title: str, abstract: str) -> str:
    """What a paper's topic is read from: its title twice (it names the topic), then its
    abstract, as plain text."""
    head = plain(title)
    return f"{head}. {head}. {plain(abstract[:_TEXT])}"


def _names(texts: list[str], labels: np.ndarray, k: int) -> list[tuple[str, ...]]:
    """Each topic's words: those frequent in its papers and rarer in all (a word's share of the
    topic's words, times the log of that share over its share of all words)."""
    counts = _counts(texts, max(1, min(2, len(texts) // 20)))
    if counts is None:
        return [()] * k
    matrix, terms = counts
    per = np.vstack([np.asarray(matrix[labels == j].sum(axis=0)).ravel() for j in range(k)])
    share = per / np.maximum(per.sum(axis=1, keepdims=True), 1)
    overall = per.sum(axis=0) / max(per.sum(), 1)
    # a word's share of the topic, times how many times more the topic uses it than all do
    scores = share * np.log(np.maximum(share, 1e-12) / np.maximum(overall, 1e-12))
    if k == 1:  # one topic is all there is: its most frequent words name it
        scores = share
    # a phrase names a topic better than its words apart ("reinforcement learning")
    scores = scores * np.where(np.char.count(terms.astype(str), " ") > 0, PHRASE_WEIGHT, 1.0)
    return [_label(terms, scores[j]) for j in range(k)]


def _counts(texts: list[str], min_df: int) -> tuple[sparse.csr_matrix, np.ndarray] | None:
    counter = CountVectorizer(
        lowercase=True,
        stop_words=_STOP,
        ngram_range=(1, 2),
        min_df=min_df,
        token_pattern=_TOKEN,
    )
    try:
        matrix = counter.fit_transform(texts)
    except ValueError:  # no word left (empty texts, or only stop words)
        return None
    return matrix, counter.get_feature_names_out()


def _label(terms: np.ndarray, scores: np.ndarray) -> tuple[str, ...]:
    """The best LABEL_WORDS terms, none repeating another (a word inside a phrase chosen, or
    its plural)."""
    chosen: list[str] = []
    for i in np.argsort(-scores, kind="stable")[:60]:
        if scores[i] <= 0:
            break
        term = str(terms[i])
        if not any(_repeats(term, c) for c in chosen):
            chosen.append(term)
        if len(chosen) == LABEL_WORDS:
            break
    return tuple(chosen)


def _repeats(term: str, chosen: str) -> bool:
    """Whether a term says again what a chosen one says: they share a word, counting a word
    as its stem or a longer word it begins (agent, agents, agentic)."""
    mine, theirs = [_stem(w) for w in term.split()], [_stem(w) for w in chosen.split()]
    return any(_same(a, b) for a in mine for b in theirs)


def _same(a: str, b: str) -> bool:
    short, long = sorted((a, b), key=len)
    return short == long or (len(short) >= 5 and long.startswith(short))


def _stem(word: str) -> str:
    """A word without its plural "s" (agents: agent; not "loss")."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word
