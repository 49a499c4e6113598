"""The ranker on small synthetic papers: signals, reasons, mutes, diversity, negatives."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np

from paperfeed.recommend import model as rec

TOPICS = {
    "graph": "graph neural networks message passing node classification",
    "vision": "image segmentation convolutional vision transformer pixels",
    "speech": "speech recognition acoustic model audio waveform",
}


def _docs() -> tuple[list[rec.Doc], np.ndarray]:
    docs, vecs = [], []
    for t, (name, words) in enumerate(TOPICS.items()):
        axis = np.eye(3, dtype=np.float32)[t]
        for i in range(6):
            doc = rec.Doc(
                f"{name}-{i}",
                f"{name.title()} paper {i}",
                f"{words} variant {i}",
                (f"Author {name} {i % 2}",),
                (f"cs.{name[:2].upper()}",),
                date(2026, 6, 1),
            )
            docs.append(doc)
            vecs.append(axis + 0.05 * i * np.roll(axis, 1))
    return docs, np.vstack(vecs)


def _signal(doc: rec.Doc, sign: int, vec: np.ndarray, age: float = 1.0) -> rec.Signal:
    return rec.Signal(doc, sign, "library", age, vec)


def test_likes_rank_their_topic_first_with_a_reason() -> None:
    docs, vecs = _docs()
    space = rec.build_space(docs[1:], vecs[1:])
    model = rec.train([_signal(docs[0], 1, vecs[0])], space, rec.Follows(), rec.Tuning())
    top = rec.rank(model, space, 5)
    assert [r.id for r in top[:3]] == ["graph-1", "graph-2", "graph-3"]
    assert top[0].why == "close to “Graph paper 0” in your library"


def test_negatives_follows_and_mutes() -> None:
    docs, vecs = _docs()
    space = rec.build_space(docs, vecs)
    follows = rec.Follows(authors=frozenset({"author speech 1"}), muted_keywords=("segmentation",))
    signals = [_signal(docs[0], 1, vecs[0]), _signal(docs[6], -1, vecs[6])]
    model = rec.train(signals, space, follows, rec.Tuning())
    ranked = rec.rank(model, space, 18, exclude=frozenset({"graph-0"}))
    ids = [r.id for r in ranked]
    assert not [i for i in ids if i.startswith("vision")]  # muted keyword
    assert ids[0].startswith("speech") and ranked[0].why == "by Author speech 1, whom you follow"
    assert "graph-0" not in ids


def test_mmr_mixes_topics_into_the_head() -> None:
    docs, vecs = _docs()
    space = rec.build_space(docs[1:], vecs[1:])
    likes = [_signal(docs[0], 1, vecs[0]), _signal(docs[12], 1, vecs[12], age=300)]
    plain = replace(rec.Tuning(), mmr_lambda=1.0, category_weight=0.0)
    mixed = replace(rec.Tuning(), mmr_lambda=0.5, mmr_depth=4, category_weight=0.0)
    head = [r.id[:5] for r in rec.rank(rec.train(likes, space, rec.Follows(), plain), space, 4)]
    diverse = [r.id[:5] for r in rec.rank(rec.train(likes, space, rec.Follows(), mixed), space, 4)]
    assert set(head) == {"graph"}  # the recent like dominates without diversification
    assert "speec" in diverse


def test_recency_halves_at_the_half_life_and_has_a_floor() -> None:
    tuning = rec.Tuning()
    assert rec.recency(tuning.half_life_days, tuning) == 0.5
    assert rec.recency(10_000, tuning) == tuning.min_recency
