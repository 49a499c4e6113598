"""The store's keyword features: fitted once a day (apart, in a child process, when large)."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import orjson
from sqlalchemy import Connection, Engine

from paperfeed.recommend.model import (
    Doc,
    Space,
    Vocabulary,
    build_space,
    fit_vocabulary,
    load_vocabulary,
    save_vocabulary,
    space_in,
)
from paperfeed.recommend.service.inputs import doc_of
from paperfeed.recommend.whole import Reach
from paperfeed.store import get_papers
from paperfeed.store.listings import latest_day, newest_listed
from paperfeed.store.search_store import latest_change

# The package's name: log filters and tests look for the recommender's messages under it.
log = logging.getLogger("paperfeed.recommend.service")


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


class VocabularyUpkeep:
    """`Recommender`'s keyword features: fitted once per day the store changed, kept on disk
    for other processes, and fitted again in the background when the day turns."""

    engine: Engine
    reach: Reach
    vocabulary_dir: Path | None
    _vocabulary_now: tuple[object, Vocabulary] | None
    _vocabulary_lock: threading.Lock
    _refitting: threading.Lock
    refit_thread: threading.Thread | None

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
