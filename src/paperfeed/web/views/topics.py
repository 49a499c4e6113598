"""A period's papers by topic, as the topics page and the JSON API show them: the papers read
as the daily pages list them, grouped by `paperfeed.topics` over their stored vectors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from fastapi import HTTPException
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
SHOWN = 8  # papers of a topic a page lists open; the others one click away
LISTED = 100  # papers of a topic an overview lists and draws; all of them on the topic's page


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
    how many papers the period has and how many were read, how many the mutes hide, and where
    each grouped paper sits on the topics' map."""

    groups: list[TopicGroup]
    waiting: list[Card]
    total: int
    read: int
    hidden: int
    places: dict[str, tuple[float, float]]  # each grouped paper's place on the map, in [0, 1]²


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
    return _grouped(found, vectors, hidden, show_muted, listed.total)


def topics_among(engine: Engine, user: User | None, ids: Sequence[str], total: int) -> Topics:
    """Given papers (a reader's library: its MOST_PAPERS first at most, of `total`) by topic."""
    with engine.connect() as conn:
        found = cards(conn, list(ids[:MOST_PAPERS]), user)
        vectors = _vectors(conn, [c.paper.id for c in found])
    return _grouped(found, vectors, set(), False, total)


def _grouped(
    found: list[Card],
    vectors: dict[str, np.ndarray],
    hidden: set[str],
    show_muted: bool,
    total: int,
) -> Topics:
    """The papers with vectors grouped (and placed on the map), those without apart; the
    `hidden` ones left out unless `show_muted`, and counted."""
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
        total,
        len(found),
        len(hidden),
        {
            placed[i].paper.id: xy
            for t in grouped
            for i, xy in zip(t.members, t.places, strict=True)
        },
    )


def _vectors(conn: Connection, ids: list[str]) -> dict[str, np.ndarray]:
    contract = vector_contract(conn)
    return get_vectors(conn, contract[0], ids, contract[1]) if contract and ids else {}


# The topics' colours on the map and beside their names in the index (Tableau 20's darker
# half and a few of its lighter ones: each readable on the light and the dark theme).
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#ff7f0e",
    "#7f7f7f",
)
WIDTH, HEIGHT = 1000, 560  # the map's drawing units (it scales to the page)
_ROOM = 24  # drawing units above the highest dot, for its topic's name
_CHAR = 9.5  # about a character's width of a name (15 units high), to keep names inside


@dataclass(frozen=True)
class MapPoint:
    """A paper on the map: its topic's place in the index (1…), the paper, where it sits."""

    topic: int
    card: Card
    x: float
    y: float


@dataclass(frozen=True)
class MapLabel:
    """A topic's number and first words on the map, above its papers."""

    topic: int
    words: str
    x: float
    y: float


@dataclass(frozen=True)
class TopicMap:
    """What the topics page draws: the papers it lists, each at its place, and the names."""

    points: list[MapPoint]
    labels: list[MapLabel]


def map_of(found: Topics, most: int | None) -> TopicMap:
    """The map of the topics' papers (each topic's first `most`, as its list shows them), in
    the map's drawing units; a topic named by its first word or phrase, above its papers."""
    points: list[MapPoint] = []
    labels: list[MapLabel] = []
    for n, group in enumerate(found.groups, start=1):
        shown = [
            MapPoint(n, c, round(x * WIDTH, 1), round(_ROOM + y * (HEIGHT - _ROOM), 1))
            for c in group.cards[:most]
            if (place := found.places.get(c.paper.id)) is not None
            for x, y in (place,)
        ]
        if not shown:
            continue
        points += shown
        words = group.label[0] if group.label else "other"
        half = min((len(str(n)) + 1 + len(words)) * _CHAR / 2 + 4, WIDTH / 2)
        middle = min(max(sum(p.x for p in shown) / len(shown), half), WIDTH - half)
        top = min(p.y for p in shown)
        labels.append(MapLabel(n, words, round(middle, 1), round(max(top - 10, 16), 1)))
    return TopicMap(points, labels)


def page_parts(found: Topics, saved: set[str], topic: int | None) -> dict[str, object]:
    """What a page of topics (a period's, a library's) lists and draws besides the topics: the
    map of each topic's LISTED first papers, its colours and size, the reader's `saved` papers
    (ringed), how many rows show open and listed; `topic`: the page of that one topic (its
    place in the index, all of it, no map), a 404 where the page has fewer."""
    if topic is not None and topic > len(found.groups):
        held = f"{len(found.groups)} topic{'' if len(found.groups) == 1 else 's'}"
        raise HTTPException(404, f"there is no topic {topic} here: this page has {held}")
    return {
        "map": map_of(found, LISTED),
        "palette": PALETTE,
        "map_size": (WIDTH, HEIGHT),
        "saved": saved,
        "shown_most": SHOWN,
        "listed_most": None if topic else LISTED,
        "one": topic,
    }
