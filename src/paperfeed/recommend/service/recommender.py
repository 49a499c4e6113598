"""The Recommender: cached candidate spaces, user models and ranked feeds of a window."""

from __future__ import annotations

import functools
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, Engine

from paperfeed.recommend.model import (
    LeanedOn,
    Recommendation,
    Space,
    Tuning,
    UserModel,
    Vocabulary,
    papers_leaned_on,
    positive_papers,
    rank,
    strongest_terms,
    train,
)
from paperfeed.recommend.service.all_time import AllTimeRanking
from paperfeed.recommend.service.inputs import (
    _basis,
    _follows,
    _matrix,
    _offered,
    _signals,
    acted_on,
    doc_of,
)
from paperfeed.recommend.service.vocabulary import VocabularyUpkeep, _space_over
from paperfeed.recommend.whole import Neighbours, Reach
from paperfeed.store import get_papers
from paperfeed.store.library import signal_version, vector_contract
from paperfeed.store.listings import latest_day, papers_between
from paperfeed.store.search_store import latest_change
from paperfeed.util import Lru, utcnow

MAX_CANDIDATES = 200_000
FEED_CACHE = 2048  # ranked feeds per process (~6 KB each: a page of ids and why lines)
SHARED_DAYS = 30  # today, this week and this month share one space of the newest 30 days


@dataclass(frozen=True)
class Learned:
    """What a user's model learned: its strongest terms and the papers it leans on most."""

    terms: list[tuple[str, float]]
    papers: list[LeanedOn]  # one entry per paper, however many signals it has
    trained_on: int  # distinct papers (saved, rated 👍, upvoted or submitted)


class Recommender(AllTimeRanking, VocabularyUpkeep):
    """Per-process ranking state: candidate spaces and user models, cached."""

    def __init__(
        self,
        engine: Engine,
        tuning: Tuning | None = None,
        neighbours: Neighbours | None = None,
        reach: Reach | None = None,
        vocabulary_dir: Path | None = None,
    ) -> None:
        self.engine, self.tuning = engine, tuning or Tuning()
        # Where fitted keyword features are kept between processes (None: refitted by each).
        self.vocabulary_dir = vocabulary_dir
        # The search's vector index (the web app wires it): without it there is no all-time feed.
        self.neighbours, self.reach = neighbours, reach or Reach()
        # The store's keyword features: (day of the store's latest change, vocabulary). A newer
        # day is fitted in the background while requests keep using the previous day's.
        self._vocabulary_now: tuple[object, Vocabulary] | None = None
        self._vocabulary_lock, self._refitting = threading.Lock(), threading.Lock()
        self.refit_thread: threading.Thread | None = None  # the latest background refit
        # Built with get_or_build: concurrent requests on a cold cache wait for one build instead
        # of each building the same space (8 threads x seconds each; bench/RESULTS.md, scale).
        self._spaces: Lru[tuple[object, ...], tuple[Space, list[str]]] = Lru(4)
        self._models: Lru[tuple[object, ...], UserModel] = Lru(512)
        self._windows: Lru[tuple[object, ...], frozenset[str]] = Lru(8)
        # Given papers' spaces (a conference's, shared by its readers) and readers' models of
        # them, kept apart from the windows' so that neither pushes the other out.
        self._among_spaces: Lru[tuple[object, ...], Space] = Lru(8)
        self._among_models: Lru[tuple[object, ...], UserModel] = Lru(128)
        # Ranked feeds, mutes and seen papers applied: every input is in the key (a new rating,
        # save, follow, mute, one's own upvote or submission bumps the signal version; new papers
        # and moderation the store change inside the space key).
        self._feeds: Lru[tuple[object, ...], tuple[Recommendation, ...]] = Lru(FEED_CACHE)
        # Readers whose feed this process ranked, with when (the latest last): `warm` trains
        # theirs again after the store changes, before they come back (as many as models kept).
        self._readers: OrderedDict[int, datetime] = OrderedDict()
        self._readers_lock = threading.Lock()
        self.trained = 0  # user models this process trained (tests and bench count them)

    def _space(
        self, conn: Connection, since: date, until: date
    ) -> tuple[Space, tuple[object, ...]]:
        """The space holding [since, until]: the shared last-month one when it fits inside."""
        newest = latest_day(conn)
        if (
            newest is not None
            and newest - timedelta(days=SHARED_DAYS - 1) <= since <= until <= newest
        ):
            since, until = newest - timedelta(days=SHARED_DAYS - 1), newest
        change = latest_change(conn)
        # The features' day is in the key: a space built while a newer day's were being fitted
        # is built again once they are in (and one built in the window's own features, below,
        # once the process has the store's).
        day, vocabulary = self._vocabulary_soon(conn, change)
        key = (since, until, change, day)
        build = functools.partial(self._build_space, since, until, vocabulary)
        return self._spaces.get_or_build(key, build)[0], key

    def _build_space(
        self, since: date, until: date, vocabulary: Vocabulary | None
    ) -> tuple[Space, list[str]]:
        """The window's papers in the store's keyword features: idf from the newest tens of
        thousands of papers ranked better than idf from the window alone (bench/RESULTS.md).
        Without them yet (None), in features fitted on the window, as before."""
        with self.engine.connect() as conn:
            ids = papers_between(conn, since, until, 0, MAX_CANDIDATES).ids
            papers = get_papers(conn, ids, brief=True)
            docs = [doc_of(papers[i]) for i in ids if _offered(papers.get(i))]
            contract = vector_contract(conn)
            vectors = _matrix(conn, contract, [d.id for d in docs])
        return _space_over(docs, vectors, vocabulary), [d.id for d in docs]

    def model(
        self, conn: Connection, user_id: int, since: date, until: date
    ) -> tuple[UserModel, Space]:
        """The user's model for this window (trained now unless cached for their signal version)."""
        model, space, _key = self._model(conn, user_id, since, until)
        return model, space

    def _model(
        self,
        conn: Connection,
        user_id: int,
        since: date,
        until: date,
        collection: int | None = None,
    ) -> tuple[UserModel, Space, tuple[object, ...]]:
        space, space_key = self._space(conn, since, until)
        basis = _basis(conn, collection)
        # Not the site revision: others' votes and comments teach a reader's model nothing, and
        # a busy site's every vote retrained every reader's (~0.3 s each; bench/RESULTS.md).
        key = (user_id, signal_version(conn, user_id), space_key, basis)
        model = self._models.get_or_build(key, lambda: self._train(user_id, space, collection))
        return model, space, key

    def _train(self, user_id: int, space: Space, collection: int | None = None) -> UserModel:
        self.trained += 1
        with self.engine.connect() as conn:
            signals = _signals(conn, user_id, space.vectors.shape[1], collection)
            follows = _follows(conn, user_id, collection)
        return train(signals, space, follows, self.tuning)

    def feed(
        self,
        conn: Connection,
        user_id: int,
        since: date,
        until: date,
        limit: int,
        show_muted: bool = False,
        collection: int | None = None,
        explained: int | None = None,
    ) -> list[Recommendation]:
        """The user's ranked papers of [since, until] with a reason each (the first
        `explained` only, when given; seen ones left out, and muted ones unless `show_muted`).
        With a `collection` (one of the user's), ranked by a model of that collection's papers
        alone (and the user's 👎 and mutes), as arxiv-sanity-lite ranks by one tag."""
        self._saw(user_id)
        window = self._window(conn, since, until)
        if not window:
            return []  # nothing was listed then: nothing to rank (and no model to fit)
        model, space, key = self._model(conn, user_id, since, until, collection)
        if not model.has_signals:
            return []

        def ranked() -> tuple[Recommendation, ...]:
            seen = acted_on(conn, user_id)
            return tuple(rank(model, space, limit, seen, window, show_muted, explained))

        built = (*key, since, until, limit, show_muted, explained)
        return list(self._feeds.get_or_build(built, ranked))

    def _saw(self, user_id: int) -> None:
        with self._readers_lock:
            self._readers[user_id] = utcnow()
            self._readers.move_to_end(user_id)
            while len(self._readers) > self._models.size:
                self._readers.popitem(last=False)

    def recent_readers(self, days: float) -> list[int]:
        """Readers whose feed this process ranked in the last `days`, the latest first."""
        since = utcnow() - timedelta(days=days)
        with self._readers_lock:
            return [user for user, at in reversed(self._readers.items()) if at >= since]

    def warm(self, days: float, budget_s: float) -> int:
        """Train the models of the readers seen in the last `days` (the latest first) in the
        store's newest space, until `budget_s` seconds are spent, so that their first page after
        new papers arrive finds its model ready; returns how many were trained. A reader's new
        signal still retrains theirs on their next page (its version is in the model's key)."""
        self.warm_vocabulary()
        refit = self.refit_thread
        if refit is not None:  # a new day's keyword features: the space is built in them
            refit.join()
        deadline, before = time.monotonic() + budget_s, self.trained
        for user_id in self.recent_readers(days):
            if time.monotonic() >= deadline:
                break
            with self.engine.connect() as conn:  # one short read per reader, not one long one
                newest = latest_day(conn)
                if newest is None:
                    break
                self._model(conn, user_id, newest, newest)  # today, week, month: one space
        return self.trained - before

    def has_signals(self, conn: Connection, user_id: int, since: date, until: date) -> bool:
        """Whether the user gave anything to rank by (papers or follows)."""
        return self.model(conn, user_id, since, until)[0].has_signals

    def _window(self, conn: Connection, since: date, until: date) -> frozenset[str]:
        """The ids listed in [since, until]; cached per store change (moderation bumps it too)."""
        key = (since, until, latest_change(conn))
        return self._windows.get_or_build(
            key, lambda: frozenset(papers_between(conn, since, until, 0, MAX_CANDIDATES).ids)
        )

    def learned(
        self,
        conn: Connection,
        user_id: int,
        since: date,
        until: date,
        collection: int | None = None,
    ) -> Learned:
        """The strongest terms and the most weighted positive papers of the user's model (the
        model of one of their collections, when given)."""
        model, space, _key = self._model(conn, user_id, since, until, collection)
        terms = strongest_terms(model, space)
        return Learned(terms, papers_leaned_on(model), positive_papers(model))

    def forget(self) -> None:
        """Drop cached spaces, models and feeds (tests; a changed tuning)."""
        with self._vocabulary_lock:
            self._vocabulary_now = None
        self._spaces.clear()
        self._feeds.clear()
        self._models.clear()
        self._windows.clear()


_SHARED: Lru[Engine, Recommender] = Lru(4)


def shared_recommender(
    engine: Engine, neighbours: Neighbours | None = None, vocabulary_dir: Path | None = None
) -> Recommender:
    """The process's recommender for a store: the site and the digests share its cached models
    (`neighbours`: the search's vector index, for all-time feeds, and `vocabulary_dir`: where
    their keyword features are kept; the web app hands both in)."""
    found = _SHARED.get_or_build(engine, lambda: Recommender(engine))
    if neighbours is not None:
        found.neighbours = neighbours
    if vocabulary_dir is not None:
        found.vocabulary_dir = vocabulary_dir
    return found
