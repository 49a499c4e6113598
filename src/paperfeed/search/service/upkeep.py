"""Keeping the search indexes up with the store: refreshes, builds beside, rebuilds."""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from paperfeed.search.beside import open_after_delete, open_keyword, start_beside, swap
from paperfeed.search.keyword import IndexBusy, KeywordIndex
from paperfeed.search.service.model import QueryModel
from paperfeed.search.vectors import FaissIndex
from paperfeed.store import search_store as db
from paperfeed.store.accounts import store_identity
from paperfeed.store.health import Outage
from paperfeed.util import is_disk_full, utcnow

# the name it had before the module became a package: log settings may name it
log = logging.getLogger("paperfeed.search.service")
STORE_FILE = "store-id"  # in the index folder: the identity of the store the indexes are of
SAVE_EVERY = 1000  # new vectors before a large saved vector index is rewritten
SMALL_INDEX = 100_000  # vectors up to which an index is saved after every change
_Batch = TypeVar("_Batch")
_Vectors = tuple[list[str], np.ndarray, list[datetime]]
VECTORS_ADDED_AT_ONCE = 1000  # a stopping server waits for one such add at most
# How long a refresh waits for another worker's first build of the keyword index (a store small
# enough that searches wait for it); past this it answers from what the index holds.
FIRST_BUILD_WAIT = 60.0


class IndexUpkeep(QueryModel):
    """`SearchService`'s indexes kept up with the store: refreshed, built beside, rebuilt."""

    engine: Engine
    keyword: KeywordIndex
    _next: KeywordIndex | None
    _outage: Outage
    _vector_dir: Path
    _lock: threading.RLock
    _last_refresh: float
    generation: int
    _refreshing: threading.Event
    _background: threading.Lock
    _closing: threading.Event
    _store_checked: bool

    # --- keeping up with the store ----------------------------------------------------------

    def refresh(self) -> int:
        """Pick up new and changed papers (and vectors) from the store; returns papers indexed."""
        with self._lock:
            if self._closing.is_set():  # the process is stopping: its next start goes on
                return 0
            self._refreshing.set()
            try:
                written, added = self._refresh_indexes()
                if written or added:
                    self.generation += 1
                self._last_refresh = time.monotonic()
            finally:
                self._refreshing.clear()
        return written

    def _refresh_indexes(self) -> tuple[int, int]:
        try:
            if self.keyword.missing():
                self._start_over()
            elif self.keyword.replaced() or (self._next and self._next.replaced()):
                self._reopen()  # another worker swapped a rebuilt index in
            if not self._store_checked:
                self._own_store()
            return self._refresh_keyword_beside_others(), self._refresh_vectors()
        except Exception as exc:
            if not is_disk_full(exc):
                raise
            # Searches go on over the indexes as they are; the next refresh writes the rest.
            log.error("the search indexes could not be updated: %s", exc)
            return 0, 0

    def _refresh_keyword_beside_others(self) -> int:
        """Refresh the keyword index, or leave it to the worker writing it right now.

        While another worker builds the index's first papers (a store under
        `search_wait_for_build`, so no build is noted for searches to tell), its index is
        empty: this worker waits for it, as that worker's own searches do, instead of
        answering "no results". If the writer goes away without reading the store (killed),
        this worker builds the index itself.
        """
        deadline, waited = time.monotonic() + FIRST_BUILD_WAIT, False
        while True:
            try:
                written = self._refresh_keyword()
            except IndexBusy:
                self.keyword.reload()  # see what the other worker wrote so far
            else:
                if waited:  # the other worker finished between two tries: see its papers
                    self.keyword.reload()
                return written
            waited = True
            if (
                self._has_read_store()
                or self.keyword.build is not None  # a long build: searches say so
                or self._closing.is_set()
                or time.monotonic() > deadline
            ):
                return 1  # another process is writing it for us: assume it changed
            time.sleep(0.1)

    def _has_read_store(self) -> bool:
        progress = self.keyword.progress
        return progress.cursor is not None or bool(progress.recent)

    def _start_over(self) -> None:
        """The index folder was deleted while this process ran: build it again from the store
        (one worker does; the others open what it builds)."""
        self.keyword, self._next, gone = open_after_delete(self.keyword.path)
        if gone:
            log.warning(
                "the search index in %s was deleted: building it again from the store",
                self.settings.index_dir,
            )
        self._vectors, self._store_checked = None, False

    def _reopen(self) -> None:
        """Open the index folders again: a rebuilt index took the old one's place."""
        self.keyword, self._next = open_keyword(self.keyword.path)
        self.generation += 1

    def _own_store(self) -> None:
        """Drop indexes the data folder kept from another store (the database URL changed, a
        backup was restored): they answered with papers this store lacks, and missed its own
        older than their cursor. Indexes from before stores had an identity are adopted."""
        with self.engine.begin() as conn:
            identity = store_identity(conn)
        path = self.settings.index_dir / STORE_FILE
        try:
            kept: int | None = int(path.read_text())
        except (OSError, ValueError):
            kept = None
        if kept is not None and kept != identity:
            log.warning(
                "the search indexes in %s were built from another store (a different "
                "database, or one restored from a backup): building them again",
                self.settings.index_dir,
            )
            self.keyword.clear()
            for old in self._vector_dir.glob("*"):
                old.unlink(missing_ok=True)
            self._vectors = None
        if kept != identity:
            path.parent.mkdir(parents=True, exist_ok=True)
            # each worker its own temporary file (two starting at once would share one)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(str(identity))
            tmp.replace(path)
        self._store_checked = True

    def is_loaded(self) -> bool:
        """True once the indexes have been brought up to date at least once."""
        return self._last_refresh > -math.inf

    def refresh_if_due(self) -> None:
        """Start a due refresh (in the background once loaded): cached answers ask this too."""
        self._maybe_refresh()

    def _maybe_refresh(self) -> None:
        # A refresh every search (interval 0) or this process's first search waits for it;
        # afterwards a due refresh runs in the background and requests use the current index.
        if not self._due():
            return
        first = self._last_refresh == -math.inf and not self._refreshing.is_set()
        waits = self.settings.search_refresh_seconds == 0 or first
        # A build beside the index searches read never holds them up.
        if waits and self._next is None and not self._long_build():
            with self._lock:
                if self._due():  # another thread may have refreshed while this one waited
                    self.refresh()
            return
        if self._background.acquire(blocking=False):
            threading.Thread(
                target=self._refresh_behind, name="search-refresh", daemon=True
            ).start()

    def _refresh_behind(self) -> None:
        try:
            self.refresh()
        except DBAPIError as exc:  # the store is down: said once while it lasts, no traceback
            self._outage.failed(exc)
            self._last_refresh = time.monotonic()
        except Exception:  # the next due search tries again; searching goes on meanwhile
            log.exception("refreshing the search indexes failed")
            self._last_refresh = time.monotonic()
        else:
            self._outage.answered()
        finally:
            self._background.release()

    def _due(self) -> bool:
        return time.monotonic() - self._last_refresh >= self.settings.search_refresh_seconds

    def _refresh_keyword(self) -> int:
        if self._next is not None:
            return self._build_beside(self._next)
        self._long_build()
        with self.engine.connect() as conn:
            progress = self.keyword.progress
            rows = db.changed_papers(conn, progress.cursor, applied=progress.recent)
            written = self.keyword.apply(self._until_closed(rows), utcnow())
        if not self._closing.is_set():  # read to the end (another process busy: IndexBusy)
            self.keyword.end_build()
        return written

    def _build_beside(self, upcoming: KeywordIndex) -> int:
        """Go on with the index built beside the one searches read; swap it in once it has
        read the store to its end (searches answer from the old one meanwhile)."""
        progress = upcoming.progress
        if upcoming.build is None and progress.cursor is None and not progress.recent:
            with self.engine.connect() as conn:
                upcoming.begin_build(db.count_papers(conn))
        with self.engine.connect() as conn:
            rows = db.changed_papers(conn, progress.cursor, applied=progress.recent)
            written = upcoming.apply(self._until_closed(rows), utcnow())
        if self._closing.is_set():  # the next start goes on with it
            return written
        upcoming.end_build()
        swap(self.keyword.path)
        self._reopen()
        return written

    def _long_build(self) -> bool:
        """Whether the keyword index is being built from scratch (after an upgrade, on a new
        node) over more papers than a search waits for; such a build is noted in the index's
        state, and searches say so until it is done instead of answering from part of it."""
        if self.keyword.build is not None:
            return True
        progress = self.keyword.progress
        if progress.cursor is not None or progress.recent:
            return False
        with self.engine.connect() as conn:
            total = db.count_papers(conn)
        if total <= self.settings.search_wait_for_build:
            return False
        self.keyword.begin_build(total)
        return True

    def _refresh_vectors(self) -> int:
        contract = self._contract()
        if contract is None:
            return 0
        cid, dim = contract
        if self._vectors is None:
            width = self._calibration().hnsw_ef_search
            self._vectors = FaissIndex.load(self._vector_dir, cid, width) or self._new_vectors(
                cid, dim
            )
        index, added, now = self._vectors, 0, utcnow()
        with self.engine.connect() as conn:
            for ids, matrix, stamps in self._in_parts(
                db.vectors_since(
                    conn, cid, dim, index.progress.cursor, applied=index.progress.recent
                )
            ):
                keys = list(zip(ids, stamps, strict=True))
                fresh = index.progress.fresh(keys)
                if fresh:
                    added += index.add([ids[i] for i in fresh], matrix[fresh])
                index.progress.advance(keys, now)
        # Saving a big index for a few is wasteful; counted across refreshes, since a loaded
        # index added to is read into this process's memory until it is saved and mapped again.
        if index.unsaved >= SAVE_EVERY or (added and len(index) < SMALL_INDEX) or index.outdated:
            index.save(self._vector_dir, cid)
        return added

    def _until_closed(self, batches: Iterable[_Batch]) -> Iterator[_Batch]:
        """The batches until close() is called: what was read before is written and kept."""
        for batch in batches:
            if self._closing.is_set():
                return
            yield batch

    def _in_parts(self, batches: Iterable[_Vectors]) -> Iterator[_Vectors]:
        """Each batch of vectors in parts, until close() is called: an HNSW index adds a whole
        20,000-row batch in one call that a stopping server had to wait out."""
        for ids, matrix, stamps in self._until_closed(batches):
            for start in range(0, len(ids), VECTORS_ADDED_AT_ONCE):
                if self._closing.is_set():
                    return
                part = slice(start, start + VECTORS_ADDED_AT_ONCE)
                yield ids[part], matrix[part], stamps[part]

    def _new_vectors(self, cid: str, dim: int) -> FaissIndex:
        kind = self.settings.vector_index
        if kind == "auto":
            with self.engine.connect() as conn:
                big = db.count_vectors(conn, cid) >= self.settings.hnsw_threshold
            kind = "hnsw" if big else "flat"
        return FaissIndex(dim, kind, self._calibration().hnsw_ef_search)

    def rebuild(self) -> None:
        """Drop both local indexes and build them again from the store."""
        with self._lock:
            self._next = start_beside(self.keyword.path)  # searches go on from the old one
            contract = self._contract()
            if contract:
                for suffix in (".faiss", ".json"):
                    (self._vector_dir / f"{contract[0]}{suffix}").unlink(missing_ok=True)
            self._vectors = None
            self.refresh()
