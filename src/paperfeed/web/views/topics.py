"""A period's papers by topic, as the topics page and the JSON API show them: the papers read
as the daily pages list them, grouped by `paperfeed.topics` over their stored vectors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, Engine

from paperfeed.store.accounts import User
from paperfeed.store.library.signals import vector_contract
from paperfeed.store.listings import Hide, papers_between
from paperfeed.store.search_store import get_vectors
from paperfeed.topics import find_topics
from paperfeed.web.periods import Period
from paperfeed.web.views.assembly import cards
from paperfeed.web.views.common import Card

MOST_PAPERS = 5_000  # a longer period is grouped by its most upvoted papers, as the page says


@dataclass(frozen=True)
class TopicGroup:
    """One topic as it is shown: its words and its papers (most upvoted first)."""

    label: tuple[str, ...]
    cards: list[Card]

    @property
    def query(self) -> str:
        """A search for the topic's words, any of them."""
        return " OR ".join(f'"{w}"' if " " in w else w for w in self.label)


@dataclass(frozen=True)
class Topics:
    """A period's papers by topic: the topics (largest first), the papers not yet embedded,
    how many papers the period has and how many were read, and how many the mutes hide."""

    groups: list[TopicGroup]
    waiting: list[Card]
    total: int
    read: int
    hidden: int


def topics_of(
    engine: Engine,
    user: User | None,
    period: Period,
    held: Sequence[str] = (),
    hide: Hide | None = None,
    show_muted: bool = False,
) -> Topics:
    """The period's papers (in the categories `held`, where given; its MOST_PAPERS most upvoted
    at most) by topic; what `hide` hides is left out unless `show_muted`, and counted. The
    store is read through a short connection of its own, returned before the grouping (a
    month's takes seconds of CPU)."""
    with engine.connect() as conn:
        listed = papers_between(conn, period.start, period.end, 0, MOST_PAPERS, False, held)
        found = cards(conn, listed.ids, user)
        hidden = hide(conn, [c.paper.id for c in found]) if hide is not None else set()
        vectors = _vectors(conn, [c.paper.id for c in found])
    placed = [c for c in found if c.paper.id in vectors]
    matrix = np.vstack([vectors[c.paper.id] for c in placed]) if placed else np.zeros((0, 1))
    grouped = find_topics(
        [c.paper.title for c in placed], [c.paper.abstract for c in placed], matrix
    )

    def shown(group: Sequence[Card]) -> list[Card]:
        return [c for c in group if show_muted or c.paper.id not in hidden]

    groups = [TopicGroup(t.label, shown([placed[i] for i in t.members])) for t in grouped]
    return Topics(
        [g for g in groups if g.cards],
        shown([c for c in found if c.paper.id not in vectors]),
        listed.total,
        len(found),
        len(hidden),
    )


def _vectors(conn: Connection, ids: list[str]) -> dict[str, np.ndarray]:
    contract = vector_contract(conn)
    return get_vectors(conn, contract[0], ids, contract[1]) if contract and ids else {}
