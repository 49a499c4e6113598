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

from __future__ import annotations

import contextlib
import fcntl
import functools
import logging
import subprocess
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import orjson
from sqlalchemy import Connection, Engine

from paperfeed.models import Paper
from paperfeed.recommend.model import (
    Doc,
    Follows,
    LeanedOn,
    Namesake,
    Recommendation,
    Signal,
    Space,
    Tuning,
    UserModel,
    Vocabulary,
    build_space,
    clamp_age,
    fit_vocabulary,
    is_muted,
    load_vocabulary,
    papers_leaned_on,
    positive_papers,
    rank,
    recency,
    save_vocabulary,
    space_in,
    strongest_terms,
    train,
)
from paperfeed.recommend.model import (
    mute_reason as model_mute_reason,
)
from paperfeed.recommend.namesakes import circle
from paperfeed.recommend.whole import Neighbours, Reach, candidate_ids, centres, per_query
from paperfeed.store import get_papers
from paperfeed.store.library import (
    author_follow,
    collection_paper_ids,
    collection_signals,
    interests,
    paper_signals,
    papers_under_name,
    signal_version,
    vector_contract,
)
from paperfeed.store.listings import latest_day, newest_listed, paper_flags, papers_between
from paperfeed.store.search_store import get_vectors, latest_change
from paperfeed.util import Lru, utcnow

log = logging.getLogger(__name__)

MAX_CANDIDATES = 200_000
FEED_CACHE = 2048  # ranked feeds per process (~6 KB each: a page of ids and why lines)
SHARED_DAYS = 30  # today, this week and this month share one space of the newest 30 days


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


@dataclass(frozen=True)
class Learned:
    """What a user's model learned: its strongest terms and the papers it leans on most."""

    terms: list[tuple[str, float]]
    papers: list[LeanedOn]  # one entry per paper, however many signals it has
    trained_on: int  # distinct papers (saved, rated 👍, upvoted or submitted)


class Recommender:
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

    def _vocabulary_soon(
        self, conn: Connection, change: object
    ) -> tuple[object, Vocabulary | None]:
        """The store's features; (None, None) while a large store's first fit in this process
        is under way (a server's start): that reader is ranked in features fitted on the window's
        (or the all-time candidates') own papers rather than kept waiting ~20 s (at 1 M papers,
        a minute)."""
        if self._vocabulary_now is None and len(newest_listed(conn, APART_FROM)) >= APART_FROM:
            self._refit_in_background(_day_of(change))
            if self._vocabulary_now is None:
                return None, None
        return self._vocabulary(conn, change)

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
    ) -> list[Recommendation]:
        """The user's ranked papers of [since, until] with a reason each (seen ones left out,
        and muted ones unless `show_muted`). With a `collection` (one of the user's), ranked by
        a model of that collection's papers alone (and the user's 👎 and mutes), as
        arxiv-sanity-lite ranks by one tag."""
        self._saw(user_id)
        window = self._window(conn, since, until)
        if not window:
            return []  # nothing was listed then: nothing to rank (and no model to fit)
        model, space, key = self._model(conn, user_id, since, until, collection)
        if not model.has_signals:
            return []

        def ranked() -> tuple[Recommendation, ...]:
            seen = acted_on(conn, user_id)
            return tuple(rank(model, space, limit, seen, window, show_muted))

        return list(self._feeds.get_or_build((*key, since, until, limit, show_muted), ranked))

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

    def feed_all(
        self,
        conn: Connection,
        user_id: int,
        limit: int,
        show_muted: bool = False,
        collection: int | None = None,
    ) -> list[Recommendation] | None:
        """The user's ranked papers of the whole store, with a reason each (seen ones left out,
        and muted ones unless `show_muted`); None when it cannot be ranked: no vector index, or
        no positive paper with a vector."""
        if self.neighbours is None or vector_contract(conn) is None:
            return None
        change = latest_change(conn)
        # As for the windows: while a large store's first fit runs (a server's start), ranked
        # in features fitted on the candidates, and again once the store's are in (day in key).
        day, vocabulary = self._vocabulary_soon(conn, change)
        version = (signal_version(conn, user_id), change, day)
        key = (user_id, *version, "all", limit, show_muted, _basis(conn, collection))
        try:
            ranked = self._feeds.get_or_build(
                key,
                lambda: self._rank_all(conn, user_id, limit, vocabulary, show_muted, collection),
            )
        except _Unranked:
            return None
        return list(ranked)

    def _rank_all(
        self,
        conn: Connection,
        user_id: int,
        limit: int,
        vocabulary: Vocabulary | None,
        show_muted: bool,
        collection: int | None = None,
    ) -> tuple[Recommendation, ...]:
        contract = vector_contract(conn)
        assert contract is not None and self.neighbours is not None
        signals = _signals(conn, user_id, contract[1], collection)
        seen = acted_on(conn, user_id)
        ids = self._candidates(signals, seen)
        flags = paper_flags(conn, ids)
        ids = [i for i in ids if i in flags and not flags[i].hidden]
        papers = get_papers(conn, ids, brief=True)
        docs = [doc_of(papers[i]) for i in ids if _offered(papers.get(i))]
        vectors = _matrix(conn, contract, [d.id for d in docs])
        space = _space_over(docs, vectors, vocabulary)
        model = train(signals, space, _follows(conn, user_id, collection), self.tuning)
        return tuple(rank(model, space, limit, seen, show_muted=show_muted))

    def _candidates(self, signals: Sequence[Signal], seen: frozenset[str]) -> list[str]:
        """Papers near the user's positive vectors (or their groups' centres), from the index."""
        positives = [s for s in signals if s.sign > 0 and s.vector is not None]
        if not positives or self.neighbours is None:
            raise _Unranked
        vectors = np.vstack([s.vector for s in positives]).astype(np.float32)  # type: ignore[misc]
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
        weights = np.array([recency(s.age_days, self.tuning) for s in positives], np.float32)
        queries = centres(vectors, weights, self.reach.groups, self.reach.rounds)
        # Asked for a few more per query: the reader's own papers sit nearest and are dropped.
        extra = -(-len(seen) // len(queries))
        found = self.neighbours(queries, per_query(self.reach, len(queries)) + extra)
        ids = candidate_ids(found, seen, self.reach.candidates)
        if not ids:
            raise _Unranked  # no vector index yet (or it holds nothing new for this reader)
        return ids

    def _vocabulary(self, conn: Connection, change: object) -> tuple[object, Vocabulary]:
        """Keyword features of the newest papers, fitted once per day the store changed.

        Keyed by the day, not the instant: the terms of the newest 50,000 papers barely move when
        one paper is submitted or edited. Only the first fit of a process is on the request's
        path (`warm_vocabulary` takes it off at server start); later days are fitted in the
        background while requests use the previous day's (a fit of 50,000 papers takes ~20 s).
        """
        day = _day_of(change)
        with self._vocabulary_lock:
            now = self._vocabulary_now
            if now is None:
                now = self._vocabulary_now = (day, self._fit_vocabulary(conn, day))
        if now[0] != day:
            self._refit_in_background(day)
        return now

    def _fit_vocabulary(self, conn: Connection, day: object) -> Vocabulary:
        """The day's features: as kept by another process (or an earlier run), else fitted and
        kept for the others (each `serve` worker and each restart would fit the same)."""
        path = self._vocabulary_path(day)
        found = load_vocabulary(path) if path is not None else None
        if found is not None:
            return found
        if path is None:
            return self._fit_now(conn)
        # One process fits a day's features; the others (each `serve` worker) wait for its file
        # instead of fitting the same at the same time (~20 s of CPU and ~1 GB each).
        with _file_lock(path.with_name("vocabulary.lock")):
            found = load_vocabulary(path)
            if found is not None:
                return found
            fitted = self._fit_now(conn, keep=path)
            self._keep_vocabulary(fitted, path)
            return fitted

    def _fit_now(self, conn: Connection, keep: Path | None = None) -> Vocabulary:
        ids = newest_listed(conn, self.reach.vocabulary_papers)
        texts: list[str] = []
        for start in range(0, len(ids), TEXT_CHUNK):  # papers held a chunk at a time
            chunk = ids[start : start + TEXT_CHUNK]
            papers = get_papers(conn, chunk, brief=True)
            texts += [doc_of(papers[i]).keyword_text for i in chunk if i in papers]
        return fit_apart(texts, keep)

    def _vocabulary_path(self, day: object) -> Path | None:
        if self.vocabulary_dir is None or day is None:
            return None
        return self.vocabulary_dir / f"vocabulary-{day}-{self.reach.vocabulary_papers}.json.gz"

    def _keep_vocabulary(self, fitted: Vocabulary, path: Path) -> None:
        try:
            save_vocabulary(fitted, path)
            for old in path.parent.glob("vocabulary-*.json.gz"):
                if old != path:  # earlier days: never read again
                    old.unlink(missing_ok=True)
        except OSError as exc:  # a full or read-only disk: the next process fits again
            log.warning("could not keep the For you keyword features: %s", exc)

    def _refit_in_background(self, day: object) -> None:
        if not self._refitting.acquire(blocking=False):
            return  # one refit at a time; requests meanwhile use the vocabulary they have

        def refit() -> None:
            try:
                with self.engine.connect() as conn:
                    fitted = self._fit_vocabulary(conn, day)
                with self._vocabulary_lock:
                    self._vocabulary_now = (day, fitted)
            except Exception:  # the old vocabulary stays; the next request tries again
                log.exception("refitting the For you keyword features failed")
            finally:
                self._refitting.release()

        self.refit_thread = threading.Thread(target=refit, name="vocabulary", daemon=True)
        self.refit_thread.start()

    def vocabulary_day(self) -> object | None:
        """The day of store changes the keyword features were fitted for (None: none)."""
        with self._vocabulary_lock:
            return self._vocabulary_now[0] if self._vocabulary_now is not None else None

    def warm_vocabulary(self) -> None:
        """Fit (or read back) the store's keyword features now, at a server's start, so that no
        reader's first For you page waits for them."""
        with self.engine.connect() as conn:
            if latest_day(conn) is not None:
                self._vocabulary(conn, latest_change(conn))

    def forget(self) -> None:
        """Drop cached spaces, models and feeds (tests; a changed tuning)."""
        with self._vocabulary_lock:
            self._vocabulary_now = None
        self._spaces.clear()
        self._feeds.clear()
        self._models.clear()
        self._windows.clear()


def _offered(paper: Paper | None) -> bool:
    """A paper For you may recommend: stored and not withdrawn on arXiv."""
    return paper is not None and not paper.withdrawn


def _space_over(docs: list[Doc], vectors: np.ndarray, vocabulary: Vocabulary | None) -> Space:
    """Candidates in the store's keyword features; without them yet (a large store's first fit
    under way), in features fitted on the candidates themselves."""
    return build_space(docs, vectors) if vocabulary is None else space_in(docs, vectors, vocabulary)


def _day_of(change: object) -> object:
    """The day of a store change (the features' key)."""
    return change.date() if isinstance(change, datetime) else change


TEXT_CHUNK = 5000
APART_FROM = 10_000  # texts: fewer are fitted in the calling process


def fit_apart(texts: list[str], keep: Path | None = None) -> Vocabulary:
    """Fit keyword features, in a child process when there are many texts.

    A fit counts every n-gram before the rare ones are dropped: ~0.85 GB above the caller's
    size at its peak for 50,000 papers, a third of it kept afterwards (bench/RESULTS.md). In a
    child (`fit_child`, a fresh interpreter: nothing of the caller's is run again) that memory
    goes back to the system when it exits, instead of staying in a serving worker's heap. If
    the child fails, the fit runs here.

    With `keep`, the child writes the features there itself (atomically): a fit whose caller is
    stopped meanwhile (a server shut down or restarted while a large store's first fit runs,
    which takes minutes on a busy machine) is then read back at the next start instead of being
    lost and started over.
    """
    if len(texts) < APART_FROM:
        return fit_vocabulary(texts)
    if keep is not None:  # no scratch folder: a server stopped during its fit (a daemon
        return _fit_to(texts, keep)  # thread, never at the end of a `with`) left one each time
    with tempfile.TemporaryDirectory(prefix="paperfeed-vocabulary-") as folder:
        return _fit_to(texts, Path(folder) / "vocabulary.json.gz")


def _fit_to(texts: list[str], out: Path) -> Vocabulary:
    """Fit in a child process that writes `out`; here if that fails."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        _fit_in_child(texts, out)
        fitted = load_vocabulary(out)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("fitting the keyword features in a child process failed (%s)", exc)
        fitted = None
    return fitted if fitted is not None else fit_vocabulary(texts)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock between processes (and threads); none where the folder cannot be
    written (each process then fits for itself, as before)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+b")
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


CHILD = [sys.executable, "-m", "paperfeed.recommend.fit_child"]
CHILD_SECONDS = 1800


def _fit_in_child(texts: list[str], out: Path) -> None:
    # The texts go in a file the child reads and removes: whole before it starts, so the child
    # finishes (and keeps its result) even if this process is stopped while it runs.
    with tempfile.NamedTemporaryFile(prefix="paperfeed-texts-", suffix=".json", delete=False) as f:
        f.write(orjson.dumps(texts))
    try:
        done = subprocess.run(
            [*CHILD, "--texts", f.name, str(out)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=CHILD_SECONDS,
        )
    finally:
        Path(f.name).unlink(missing_ok=True)  # when the child could not start
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
        raise subprocess.SubprocessError(f"exit status {done.returncode}: {' '.join(tail)}")


class _Unranked(Exception):
    """An all-time feed cannot be ranked (nothing to search with, or no index)."""


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
