"""What the ranker reads of the store: papers as it sees them, signals, follows and mutes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

import numpy as np
from sqlalchemy import Connection

from paperfeed.models import Paper
from paperfeed.recommend.model import Doc, Follows, Namesake, Signal, clamp_age, is_muted
from paperfeed.recommend.model import mute_reason as model_mute_reason
from paperfeed.recommend.namesakes import circle
from paperfeed.store import get_papers
from paperfeed.store.library import (
    author_follow,
    collection_paper_ids,
    collection_signals,
    interests,
    paper_signals,
    papers_under_name,
    vector_contract,
)
from paperfeed.store.search_store import get_vectors
from paperfeed.util import utcnow


def doc_of(paper: Paper) -> Doc:
    """What the ranker sees of a stored paper."""
    day = paper.listing_date or (paper.published.date() if paper.published else None)
    return Doc(
        paper.id, paper.title, paper.abstract, paper.authors, paper.categories, day,
        paper.comments or "",
    )  # fmt: skip


def follows_of(conn: Connection, user_id: int) -> Follows:
    """The user's follows and mutes in the ranker's terms."""
    fol, mut = interests(conn, user_id, "follow"), interests(conn, user_id, "mute")

    def pick(items: Sequence[object], kind: str) -> list[str]:
        return [i.value for i in items if i.kind == kind]  # type: ignore[attr-defined]

    authors = [author_follow(v) for v in pick(fol, "author")]
    return Follows(
        authors=frozenset(key for key, anchors in authors if not anchors),
        namesakes=tuple(Namesake(key, anchors - {key}) for key, anchors in authors if anchors),
        categories=frozenset(pick(fol, "category")),
        searches=tuple(pick(fol, "search")),
        muted_keywords=tuple(pick(mut, "keyword")),
        muted_authors=frozenset(pick(mut, "author")),
        muted_categories=frozenset(pick(mut, "category")),
    )


def _offered(paper: Paper | None) -> bool:
    """A paper For you may recommend: stored and not withdrawn on arXiv."""
    return paper is not None and not paper.withdrawn


def acted_on(conn: Connection, user_id: int) -> frozenset[str]:
    """Papers the user saved, rated, upvoted or submitted: never recommended back to them."""
    return frozenset(s.paper_id for s in paper_signals(conn, user_id))


def _matrix(conn: Connection, contract: tuple[str, int] | None, ids: Sequence[str]) -> np.ndarray:
    if contract is None:
        return np.zeros((len(ids), 1), dtype=np.float32)
    found = get_vectors(conn, contract[0], ids, contract[1])
    out = np.zeros((len(ids), contract[1]), dtype=np.float32)
    for i, pid in enumerate(ids):
        if pid in found:
            out[i] = found[pid]
    return out


def _basis(conn: Connection, collection: int | None) -> tuple[object, ...] | None:
    """What a collection's model is trained on, for cache keys (None: all the user's signals)."""
    return None if collection is None else (collection, *collection_paper_ids(conn, collection))


def _follows(conn: Connection, user_id: int, collection: int | None) -> Follows:
    """The user's follows and mutes; for a collection's feed, the mutes only (a followed
    author's papers are not what the collection is about)."""
    found = follows_of(conn, user_id)
    if collection is None:
        return replace(found, namesakes=tuple(grown(conn, n) for n in found.namesakes))
    return replace(found, authors=frozenset(), categories=frozenset(), searches=(), namesakes=())


def grown(conn: Connection, namesake: Namesake) -> Namesake:
    """A followed namesake with the co-authors of the papers under the name that joined them
    since (the store read once per model: models are cached per store change)."""
    papers = papers_under_name(conn, namesake.key)
    coauthors = circle(papers, namesake.key, namesake.coauthors)
    return replace(namesake, coauthors=coauthors)


def _signals(
    conn: Connection, user_id: int, dim: int, collection: int | None = None
) -> list[Signal]:
    raw = paper_signals(conn, user_id)
    if collection is not None:  # the collection's papers, and the user's 👎 still
        raw = [s for s in raw if s.sign < 0] + collection_signals(conn, collection)
    papers = get_papers(conn, list({s.paper_id for s in raw}), brief=True)
    contract = vector_contract(conn)
    vectors = get_vectors(conn, contract[0], list(papers), contract[1]) if contract else {}
    now = utcnow()
    return [
        Signal(
            doc_of(papers[s.paper_id]),
            s.sign,
            s.source,
            _age(now, s.at),
            vectors.get(s.paper_id) if dim > 1 else None,
        )
        for s in raw
        if s.paper_id in papers
    ]


def _age(now: datetime, at: datetime) -> float:
    return clamp_age((now - at).total_seconds() / 86400)


def hides(paper: Paper, follows: Follows) -> bool:
    """Whether the user's mutes hide this paper from lists."""
    return is_muted(doc_of(paper), follows)


def mute_reason(paper: Paper, follows: Follows) -> str | None:
    """Which of the user's mutes hides this paper, in words; None when none does."""
    return model_mute_reason(doc_of(paper), follows)


def has_mutes(follows: Follows) -> bool:
    """Whether the user mutes anything at all."""
    return bool(follows.muted_keywords or follows.muted_authors or follows.muted_categories)
