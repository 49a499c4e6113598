"""SearchService: keyword, semantic and hybrid search and similar papers over one store."""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from datetime import date, datetime
from typing import TypeVar

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from paperfeed.search import dated, fusion, limited
from paperfeed.search.backfill import contract_of
from paperfeed.search.beside import open_after_delete, open_keyword, start_beside, swap
from paperfeed.search.embed import Calibration, Embedder, EmbedderUnavailable, get_embedder
from paperfeed.search.keyword import HYBRID, Filters, IndexBusy, KeywordIndex
from paperfeed.search.query import (
    ParsedQuery,
    paper_id_in,
    parse_query,
    semantic_text,
    within,
    words_of,
)
from paperfeed.search.results import Hit, SearchResult
from paperfeed.search.snippets import Highlighter
from paperfeed.search.spelling import suggest
from paperfeed.search.vectors import FaissIndex, normalise
from paperfeed.settings import Settings
from paperfeed.store import search_store as db
from paperfeed.store.accounts import store_identity
from paperfeed.store.health import Outage
from paperfeed.store.listings import SCAN_MOST, Hide, Kept, kept_window
from paperfeed.store.word_match import shown_papers
from paperfeed.util import Lru, is_disk_full, utcnow

log = logging.getLogger(__name__)
MODES = ("keyword", "semantic", "hybrid")
SORTS = ("relevance", "date")
MAX_LIMIT = 1000
MAX_OFFSET = 10_000
STORE_FILE = "store-id"  # in the index folder: the identity of the store the indexes are of
HYBRID_DEPTH = 100  # candidates taken from each side before fusing (the first pages)
HYBRID_DEEP = 1_000  # ... and for pages past those, to the end of a hybrid ranking
# A weak (static) model gets less say in hybrid ranking; measured on SciFact dev (bench/RESULTS.md).
# Pseudo-relevance feedback: the query vector moves toward the best fused hit, then re-fuses
# (measured on SciFact dev, bench/RESULTS.md, Search).
PRF_WEIGHT = 0.5
SAVE_EVERY = 1000  # new vectors before a large saved vector index is rewritten
SMALL_INDEX = 100_000  # vectors up to which an index is saved after every change
QUERY_VECTORS_KEPT = 512  # embedded queries kept per process (a few kB each)
SIMILAR_KEPT = 4096  # papers' similar papers kept per process (six titles and ids each)
TOO_SLOW = "embedding model too slow"
NOTHING_TO_EMBED = "nothing to embed in the query"
_MIXED_RE = re.compile(r"[a-z]+\d+|\d+[a-z]+|[a-z]+\d+[a-z]+")  # one change of letters to digits
_LETTERS_OR_DIGITS_RE = re.compile(r"[a-z]+|\d+")


_Batch = TypeVar("_Batch")
_Vectors = tuple[list[str], np.ndarray, list[datetime]]
VECTORS_ADDED_AT_ONCE = 1000  # a stopping server waits for one such add at most


class BadSearch(ValueError):
    """A search request with an invalid option (not the query text: any text is fine)."""


class SearchService:
    """Loads the indexes and the model once; safe to share between a web server's threads."""

    def __init__(self, settings: Settings, engine: Engine, embedder: Embedder | None = None):
        self.settings, self.engine = settings, engine
        self._outage = Outage(log, "search index refresh")
        root = settings.index_dir
        # The index searches read, and one being built beside it (an upgrade, a reindex).
        self.keyword, self._next = open_keyword(root / "keyword")
        self.highlighter = Highlighter(self.keyword.stem)
        self._vector_dir = root / "vectors"
        self._embedder, self._embedder_error = embedder, ""
        self._contract_id: str | None = None
        self._vectors: FaissIndex | None = None
        self._lock = threading.RLock()  # held while the indexes are refreshed or rebuilt
        self._model_lock = threading.Lock()  # searches never wait for a refresh
        self._last_refresh = -math.inf
        self.generation = 0  # grows whenever the indexes change: cached results key on it
        self._refreshing = threading.Event()  # set while a refresh runs
        self._background = threading.Lock()  # held while a background refresh runs
        self._closing = threading.Event()  # set by close(): a refresh ends after its batch
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="embed-query")
        # A hybrid query's ANN search runs here, when its vector is kept, while tantivy searches
        # (a new vector is searched with in the embedding thread, right after it is made); one
        # thread: the vector index serves one search at a time anyway (its lock).
        self._ann = ThreadPoolExecutor(1, thread_name_prefix="ann")
        self._query_vectors: Lru[str, np.ndarray] = Lru(QUERY_VECTORS_KEPT)
        # A paper's similar papers: what every view of its page (signed in too) asks again.
        self._similar: Lru[tuple[str, int, int], list[Hit]] = Lru(SIMILAR_KEPT)
        self._store_checked = False  # whether the indexes are known to be this store's

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
            try:
                written = self._refresh_keyword()
            except IndexBusy:
                written = 1  # another process is writing it for us: assume it changed
                self.keyword.reload()
            return written, self._refresh_vectors()
        except Exception as exc:
            if not is_disk_full(exc):
                raise
            # Searches go on over the indexes as they are; the next refresh writes the rest.
            log.error("the search indexes could not be updated: %s", exc)
            return 0, 0

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
            tmp = path.with_suffix(".tmp")
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

    # --- the model ---------------------------------------------------------------------------

    def _model(self) -> Embedder | None:
        with self._model_lock:
            if self._contract_id is None and self._embedder_error == "":
                try:
                    model = self._embedder or get_embedder(self.settings.embed_model)
                    self._contract_id, self._embedder = contract_of(model)[0], model
                except EmbedderUnavailable as exc:
                    self._embedder_error = f"embedding model unavailable: {exc}"
            return self._embedder if self._contract_id else None

    def _contract(self) -> tuple[str, int] | None:
        model = self._model()
        return (self._contract_id, model.dim) if model and self._contract_id else None

    def embed_query(self, text: str) -> np.ndarray | None:
        """The query's vector, or None when the model is unavailable or too slow."""
        return self._query_vector(text)[0]

    def _query_vector(self, text: str) -> tuple[np.ndarray | None, str | None]:
        model, clean, reason = self._query_text(text)
        if model is None:
            return None, reason
        cached = self._query_vectors.get(clean)
        if cached is not None:
            return cached, None
        future = self._pool.submit(self._embed_now, model, clean)
        try:
            return future.result(timeout=self.settings.search_embed_timeout), None
        except FutureTimeout:
            return None, TOO_SLOW

    def _query_text(self, text: str) -> tuple[Embedder | None, str, str | None]:
        """The model and the text it embeds for a query, or why there is none."""
        model = self._model()
        if model is None:
            return None, "", self._embedder_error or "embedding model unavailable"
        clean = semantic_text(text)
        if not clean:
            return None, "", NOTHING_TO_EMBED
        return model, clean, None

    def _embed_now(self, model: Embedder, clean: str) -> np.ndarray:
        vector: np.ndarray = np.asarray(model.embed([clean]))[0]
        self._query_vectors.put(clean, vector)
        return vector

    def _vector_index(self) -> tuple[FaissIndex | None, str | None]:
        if self._vectors is None or len(self._vectors) == 0:
            model = self._model()
            if model is None:
                return None, self._embedder_error or "embedding model unavailable"
            return None, f"no stored vectors for model {model.name!r}: run `paperfeed embed`"
        return self._vectors, None

    # --- searching ---------------------------------------------------------------------------

    def search(
        self,
        query: str,
        mode: str = "hybrid",
        limit: int = 20,
        offset: int = 0,
        since: date | None = None,
        until: date | None = None,
        category: str | None = None,
        author: str | None = None,
        sort: str = "relevance",
        hide: Hide | None = None,
    ) -> SearchResult:
        """Search papers; any query text is valid, bad options raise BadSearch.

        `hide` names papers a reader does not want to see: they are left out before paging
        (the result's `hidden` says how many of all the results they leave out), except a paper
        the query names; past `SCAN_MOST` results it is not applied (the plain page is shown).
        """
        _check(mode, limit, offset, sort)
        hide = hide if offset + limit <= SCAN_MOST else None
        self._maybe_refresh()
        build = self.keyword.build  # a build from scratch: answered from part, and said so
        parsed = self._spelled_apart(parse_query(query))
        filters = Filters(
            *within(since, until, parsed), category or parsed.category, author or None
        )
        depth = offset + limit if hide is None else min(2 * (offset + limit), SCAN_MOST)
        # A paper the query names (its id, URL or exact title) is looked up: mutes do not hide it.
        pinned = self._pinned(parsed, filters)  # looked up once, however deep the scan goes
        named = frozenset(pinned)
        hidden: set[str] = set()
        while True:
            ordered, total, used, fallback = self._ordered(
                query, parsed, filters, mode, depth, sort, pinned
            )
            total = max(total, len(ordered))
            if hide is None:
                kept = Kept([pid for pid, _s in ordered[offset : offset + limit]], total, 0)
                break
            ids = [pid for pid, _s in ordered]
            with self.engine.connect() as conn:
                hidden |= hide(conn, [pid for pid in ids if pid not in hidden]) - named
            kept = kept_window(ids, hidden, offset, limit, total)
            if len(kept.ids) == limit or len(ordered) < depth or depth >= SCAN_MOST:
                break
            depth = min(2 * depth, SCAN_MOST)
        scores = dict(ordered)
        hits = self._hits([(pid, scores[pid]) for pid in kept.ids], parsed)
        counted = used == "keyword" and not parsed.empty and build is None
        # A query that names a paper (its id, its exact title) was not misspelt.
        suggestion = None if named else suggest(parsed, self.keyword.frequencies)
        estimated = not kept.exact
        return SearchResult(
            hits,
            kept.total,
            used,
            fallback,
            counted,
            suggestion,
            kept.hidden,
            estimated,
            named,
            limited.note(build) if build else None,
        )

    def search_ids(
        self,
        query: str,
        mode: str = "hybrid",
        limit: int = 20,
        since: date | None = None,
        until: date | None = None,
    ) -> list[str]:
        """The ids of the papers `search` returns, in its order, without building snippets
        or a spelling suggestion (a digest's saved searches need only the ids)."""
        _check(mode, limit, 0, "relevance")
        self._maybe_refresh()
        parsed = self._spelled_apart(parse_query(query))
        filters = Filters(*within(since, until, parsed), parsed.category)
        ordered = self._ordered(query, parsed, filters, mode, limit, "relevance")[0]
        page = [pid for pid, _score in ordered[:limit]]
        known = self._docs(page)  # as `search`: a paper it cannot show is left out
        return [pid for pid in page if pid in known]

    def by_day(
        self, query: str, filters: Filters, after: dated.Key | None, limit: int
    ) -> list[dated.Key] | None:
        """A keyword search's next `limit` papers by (day, id) descending after `after` (a
        keyset page); None where it has no such order: while the index is built from scratch,
        or for a query that names one paper."""
        _check("keyword", limit, 0, "date")
        self._maybe_refresh()
        parsed = self._spelled_apart(parse_query(query))
        if self.keyword.build is not None or parsed.paper_id:
            return None
        since, until = within(filters.since, filters.until, parsed)
        kept = Filters(since, until, filters.category or parsed.category, filters.author)
        return dated.newest_after(self.keyword, parsed, kept, after, limit)

    def snippets(self, ids: Sequence[str], query: str) -> list[Hit]:
        """These papers as hits of the query (snippets marked), in this order."""
        return self._hits([(pid, 0.0) for pid in ids], self._spelled_apart(parse_query(query)))

    def rebuilding(self) -> str | None:
        """What searches answered now say of themselves while the keyword index is built from
        scratch (None: it is whole); a digest's saved searches say it too."""
        build = self.keyword.build
        return limited.note(build) if build else None

    def _ordered(
        self,
        query: str,
        parsed: ParsedQuery,
        filters: Filters,
        mode: str,
        need: int,
        sort: str,
        pinned: list[str] | None = None,
    ) -> tuple[list[tuple[str, float]], int, str, str | None]:
        # The ranking with pinned papers (an id or exact title named) first.
        if pinned is None:
            pinned = self._pinned(parsed, filters)
        if parsed.paper_id and pinned[:1] == [parsed.paper_id]:
            # The whole query names a stored paper (an id, `arXiv:id` or a pasted arXiv URL):
            # that paper is the answer; the URL's words ("https", "abs") would match hundreds.
            return [(parsed.paper_id, 1.0)], 1, mode, None
        if parsed.paper_id and parsed.paper_id not in pinned:
            # An id not stored (or filtered out): the papers that cite it, not those that share
            # the words around it ("https", "arxiv", "abs", "cs") or are near them in meaning.
            cited = ParsedQuery(parsed.raw, phrases=(tuple(words_of(parsed.paper_id)),))
            return self._rank(query, cited, filters, "keyword", need, sort)
        ranking, total, used, fallback = self._rank(query, parsed, filters, mode, need, sort)
        return _pin(pinned, ranking), total, used, fallback

    def _rank(
        self, query: str, parsed: ParsedQuery, filters: Filters, mode: str, need: int, sort: str
    ) -> tuple[list[tuple[str, float]], int, str, str | None]:
        # Nothing to rank by (only "cat:cs.CL", only exclusions): the newest papers first.
        by_date = sort == "date" or not parsed.positive
        if self.keyword.build is not None:
            hits, total = self._limited(parsed, filters, need, by_date)
            return hits, total, "keyword", None
        if mode == "keyword" or not parsed.positive:
            hits, total = self.keyword.search(
                parsed, filters, need + 2, by_date=by_date, all_words=True
            )
            unread = mode != "keyword" and not parsed.empty  # words it could have embedded
            return hits, total, "keyword", NOTHING_TO_EMBED if unread else None
        if self._unknown_words(parsed):
            return [], 0, mode, None  # the nearest vectors to words no paper uses mean nothing
        index, reason = self._vector_index()
        if index is not None and mode == "hybrid":
            fused, reason = self._hybrid(index, query, parsed, filters, need, by_date)
            if fused is not None:
                hits, total = fused
                return hits, total, "hybrid", None
        elif index is not None:
            vector, reason = self._query_vector(query)
            if vector is not None:
                hits = self._semantic(index, vector, parsed, filters, need, by_date)
                return hits, len(hits), "semantic", None
        hits, total = self.keyword.search(
            parsed, filters, need + 2, by_date=by_date, all_words=True
        )
        return hits, total, "keyword", reason

    def _limited(
        self, parsed: ParsedQuery, filters: Filters, need: int, by_date: bool
    ) -> tuple[list[tuple[str, float]], int]:
        """The index's hits so far fused with a word match over papers it has not read yet."""
        indexed, total = self.keyword.search(
            parsed, filters, need + 2, by_date=by_date, all_words=True
        )
        with self.engine.connect() as conn:
            matched = limited.store_matches(conn, self.keyword, parsed, filters, need + 2)
        days = {d.id: d.day for d in self.keyword.docs([p for p, _s in indexed]).values()}
        hits = limited.fused(indexed, matched, by_date, {p: d for p, d in days.items() if d})
        return hits, total + len(matched)

    def _docs(self, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """Title and abstract of these papers: the index's, and during a build from scratch
        the store's for those it has not read yet."""
        docs = {p: (d.title, d.abstract) for p, d in self.keyword.docs(ids).items()}
        missing = [p for p in ids if p not in docs]
        if missing and self.keyword.build is not None:
            with self.engine.connect() as conn:
                stored = shown_papers(conn, missing)
            docs |= {p: (m.title, m.abstract) for p, m in stored.items()}
        return docs

    def _spelled_apart(self, parsed: ParsedQuery) -> ParsedQuery:
        """A word of letters and digits that no paper uses ("GPT4", "Qwen3") searched for as
        the words papers write it as ("GPT-4", "Qwen 3" are two words in the index)."""
        mixed = [w for w in parsed.words if _MIXED_RE.fullmatch(w)]
        if not mixed:
            return parsed
        unknown = [w for w, n in zip(mixed, self.keyword.frequencies(mixed), strict=True) if not n]
        if not unknown:
            return parsed
        words = [
            p
            for w in parsed.words
            for p in ([w] if w not in unknown else _LETTERS_OR_DIGITS_RE.findall(w))
        ]
        return replace(parsed, words=tuple(dict.fromkeys(words)))

    def _unknown_words(self, parsed: ParsedQuery) -> bool:
        """True when the query is only words that no stored paper uses (gibberish, typos)."""
        if parsed.phrases or parsed.prefixes or parsed.paper_id or not parsed.words:
            return False
        return not any(self.keyword.frequency(w) for w in parsed.meaningful)

    def _semantic(
        self,
        index: FaissIndex,
        vector: np.ndarray,
        parsed: ParsedQuery,
        filters: Filters,
        need: int,
        by_date: bool,
    ) -> list[tuple[str, float]]:
        """The nearest papers; by date, as `_hybrid` pages: the first HYBRID_DEPTH by date, then
        the rest to HYBRID_DEEP (sorting as many as each page needed repeated and skipped)."""
        if not by_date:
            return self._dense(index, vector, parsed, filters, max(need, HYBRID_DEPTH))
        depth = HYBRID_DEPTH if need <= HYBRID_DEPTH else HYBRID_DEEP
        hits = self._dense(index, vector, parsed, filters, depth)
        return self._by_date(hits[:HYBRID_DEPTH]) + self._by_date(hits[HYBRID_DEPTH:])

    def _dense(
        self, index: FaissIndex, vector: np.ndarray, parsed: ParsedQuery, filters: Filters, k: int
    ) -> list[tuple[str, float]]:
        """The nearest papers that pass the filters and are close enough to mean something."""
        found = self._nearest(index, vector, parsed, filters, k)
        kept = self.keyword.keep([pid for pid, _s in found], filters, parsed)
        return [(pid, score) for pid, score in found if pid in kept][:k]

    def _nearest(
        self, index: FaissIndex, vector: np.ndarray, parsed: ParsedQuery, filters: Filters, k: int
    ) -> list[tuple[str, float]]:
        """ANN candidates for the k best (more when filters will drop some), above the floor."""
        restricted = filters.any or parsed.excluded_words or parsed.excluded_phrases
        found = index.search(vector, max(k * 10, 500) if restricted else k + 10)
        floor = self.min_similarity()
        return [(pid, score) for pid, score in found if score >= floor]

    def _hybrid(
        self,
        index: FaissIndex,
        query: str,
        parsed: ParsedQuery,
        filters: Filters,
        need: int,
        by_date: bool = False,
    ) -> tuple[tuple[list[tuple[str, float]], int] | None, str | None]:
        """Fused keyword and meaning ranking, or None and why there is no query vector.

        One ranking however deep a page reads: the fusion of each side's first HYBRID_DEPTH,
        then (for pages past it) the fusion of each side's first HYBRID_DEEP less those, which
        ends the list. Fusing to the depth a page needs instead reordered the papers each page
        deeper, so that pages repeated some and skipped others, and never ended.
        """
        first, reason = self._fused(index, query, parsed, filters, HYBRID_DEPTH)
        if first is None:
            return None, reason
        hits, total = first
        hits = self._by_date(hits) if by_date else hits
        if need > len(hits):
            deeper, _reason = self._fused(index, query, parsed, filters, HYBRID_DEEP)
            shown = {pid for pid, _s in hits}
            more = [(pid, s) for pid, s in (deeper[0] if deeper else []) if pid not in shown]
            hits += self._by_date(more) if by_date else more
        return (hits, min(total, HYBRID_DEEP * 2)), None

    def _fused(
        self,
        index: FaissIndex,
        query: str,
        parsed: ParsedQuery,
        filters: Filters,
        depth: int,
    ) -> tuple[tuple[list[tuple[str, float]], int] | None, str | None]:
        """Each side's first `depth` papers, fused; None and why when there is no vector."""
        nearest, reason = self._nearest_soon(query, index, parsed, filters, depth)
        if nearest is None:
            return None, reason
        keyword, total = self.keyword.search(parsed, filters, depth, weights=HYBRID)
        try:
            vector, found = nearest.result(timeout=self.settings.search_embed_timeout)
        except FutureTimeout:
            nearest.cancel()  # not started yet: no work for nothing
            return None, TOO_SLOW
        bm25 = dict(keyword)
        # The keyword hits already passed the filters; the other ANN candidates are checked
        # against them and given their BM25 scores in one search.
        others = [pid for pid, _s in found if pid not in bm25]
        scored = self.keyword.keep_scored(others, filters, parsed, HYBRID)
        dense = [(pid, s) for pid, s in found if pid in bm25 or pid in scored][:depth]
        ids = list(dict.fromkeys([pid for pid, _s in keyword] + [pid for pid, _s in dense]))
        bm25.update(scored)
        bm25 = {pid: bm25.get(pid, 0.0) for pid in ids}  # no keyword match is evidence too
        # Exact cosines for every candidate (the ANN index only nominated them); a paper not
        # embedded yet has none, and fusion ranks it by its keyword evidence alone.
        vectors = index.get(ids)
        fused = self._fuse(ids, keyword, bm25, _cosines(vectors, vector))
        if PRF_WEIGHT and vectors and self.settings.hybrid_fusion != "rrf":
            top = next(p for p, _s in fusion.ranked(fused) if p in vectors)
            again = normalise(vector + PRF_WEIGHT * vectors[top])
            fused = self._fuse(ids, keyword, bm25, _cosines(vectors, again))
        return (fusion.ranked(fused), max(total, len(ids))), None

    def _nearest_soon(
        self, query: str, index: FaissIndex, parsed: ParsedQuery, filters: Filters, k: int
    ) -> tuple[Future[tuple[np.ndarray, list[tuple[str, float]]]] | None, str | None]:
        """The query's vector and ANN candidates on their way, while the caller runs tantivy:
        embedded and searched in the embedding thread, or searched in the ANN thread when the
        vector is kept; None and why when there will be no vector."""
        model, clean, reason = self._query_text(query)
        if model is None:
            return None, reason
        cached = self._query_vectors.get(clean)
        if cached is not None:
            return self._ann.submit(self._candidates, index, cached, parsed, filters, k), None

        def embed_and_search() -> tuple[np.ndarray, list[tuple[str, float]]]:
            vector = self._embed_now(model, clean)
            return self._candidates(index, vector, parsed, filters, k)

        return self._pool.submit(embed_and_search), None

    def _candidates(
        self, index: FaissIndex, vector: np.ndarray, parsed: ParsedQuery, filters: Filters, k: int
    ) -> tuple[np.ndarray, list[tuple[str, float]]]:
        return vector, self._nearest(index, vector, parsed, filters, k)

    def _fuse(
        self,
        ids: list[str],
        keyword: list[tuple[str, float]],
        bm25: dict[str, float],
        cosine: dict[str, float],
    ) -> dict[str, float]:
        wk = self.settings.hybrid_keyword_weight
        ws = self.settings.hybrid_semantic_weight * self._calibration().hybrid_trust
        if self.settings.hybrid_fusion == "rrf":
            by_keyword = [p for p, _s in keyword]
            fused = fusion.rrf([(by_keyword, wk), ([p for p, _s in fusion.ranked(cosine)], ws)])
            for rank, pid in enumerate(by_keyword, start=1):
                if pid not in cosine:  # not embedded yet: its keyword rank stands for both
                    fused[pid] += ws / (fusion.RRF_K + rank)
            return fused
        return fusion.convex([(bm25, wk), (cosine, ws)], ids, self.settings.hybrid_fusion)

    def _calibration(self) -> Calibration:
        return self._embedder.calibration if self._embedder else Calibration()

    def min_similarity(self) -> float:
        """The embedding model's calibrated cosine for "this paper matches that search"."""
        model = self._model()
        return (model.calibration if model else Calibration()).min_similarity

    def _by_date(self, hits: list[tuple[str, float]]) -> list[tuple[str, float]]:
        days = {d.id: d.day for d in self.keyword.docs([p for p, _s in hits]).values()}
        return sorted(hits, key=lambda h: days.get(h[0]) or date.min, reverse=True)

    def _pinned(self, parsed: ParsedQuery, filters: Filters) -> list[str]:
        # An arXiv id, URL or exact title names one paper: it goes first.
        wanted = [parsed.paper_id] if parsed.paper_id else []
        if len(parsed.raw) <= 500:
            wanted += self.keyword.title_matches(parsed.raw)
        kept = [p for p in dict.fromkeys(wanted) if p in self.keyword.keep([p], filters)]
        if parsed.paper_id and not kept and self.keyword.build is not None:
            # Not indexed yet: the store knows whether it is shown (the filters wait for it).
            with self.engine.connect() as conn:
                return list(shown_papers(conn, [parsed.paper_id]))
        return kept

    def _hits(self, page: list[tuple[str, float]], parsed: ParsedQuery) -> list[Hit]:
        docs = self._docs([pid for pid, _s in page])
        words = [*parsed.meaningful, *(w for p in parsed.phrases for w in p)]
        also = [o for w in words for o in self.keyword.other_spellings(w)] if page else []
        mark = self.highlighter.snippet
        hits = [
            Hit(pid, docs[pid][0], score, mark(docs[pid][1], parsed, also=also))
            for pid, score in page
            if pid in docs
        ]
        return self._venue_marked(hits, parsed, also)

    def _venue_marked(self, hits: list[Hit], parsed: ParsedQuery, also: list[str]) -> list[Hit]:
        """The hits with the comments or journal reference that hold the query's words after
        the snippet (the index searches them; a card marked only its abstract's words)."""
        if not hits or not (parsed.words or parsed.phrases or parsed.prefixes):
            return hits
        with self.engine.connect() as conn:
            venues = db.venue_texts(conn, [h.id for h in hits])
        line = self.highlighter.venue_line
        said = {
            pid: line((("Comments", c), ("Journal ref", j)), parsed, also)
            for pid, (c, j) in venues.items()
        }
        return [
            replace(h, snippet=f"{h.snippet} · {said[h.id]}" if h.snippet else said[h.id])
            if said.get(h.id)
            else h
            for h in hits
        ]

    # --- similar papers ----------------------------------------------------------------------

    def similar(self, paper_id: str, limit: int = 10) -> list[Hit]:
        """Papers nearest to one paper's stored vector, itself excluded (no model call); kept
        until the indexes change (they alone decide the answer)."""
        self._maybe_refresh()
        key = (paper_id, limit, self.generation)
        kept = self._similar.get(key)
        if kept is None:
            kept = self.more_like([paper_id], limit, self._calibration().hnsw_ef_similar)
            if kept and self.keyword.build is None:  # while a build runs, the store answers
                self._similar.put(key, kept)
        return list(kept)

    def more_like(
        self, paper_ids: Sequence[str], limit: int = 10, width: int | None = None
    ) -> list[Hit]:
        """Papers nearest to the mean of these papers' stored vectors, the inputs excluded
        (`width`: the HNSW search width, the model's search width by default)."""
        _check("hybrid", limit, 0, "relevance")
        self._maybe_refresh()
        ids = [paper_id_in(p) or p for p in paper_ids]
        index, _reason = self._vector_index()
        if index is None or not ids:
            return []
        vectors = index.get(ids)
        if not vectors:
            return []
        centre = normalise(np.mean(np.stack(list(vectors.values())), axis=0))
        found = index.search(centre, limit + len(ids) + 10, width)
        found = [(p, s) for p, s in found if p not in set(ids)]
        if self.keyword.build is not None:  # it holds part of the papers yet: the store says
            return self._stored_hits(found, limit)
        kept = self.keyword.keep([p for p, _s in found], Filters())
        return self._hits([(p, s) for p, s in found if p in kept][:limit], parse_query(""))

    def _stored_hits(self, found: list[tuple[str, float]], limit: int) -> list[Hit]:
        """The first `limit` of these papers that the store shows, titled from it."""
        with self.engine.connect() as conn:
            titles = db.shown_titles(conn, [p for p, _s in found])
        return [Hit(p, titles[p], s, "") for p, s in found if p in titles][:limit]

    def neighbours(self, queries: np.ndarray, k: int) -> list[list[str]]:
        """For each query vector (rows of paper-like vectors), the ids of its k nearest papers,
        best first, at the width of a paper's neighbours; empty lists without a vector index."""
        self._maybe_refresh()
        index, _reason = self._vector_index()
        if index is None:
            return [[] for _ in queries]
        width = max(k, self._calibration().hnsw_ef_similar)
        return [[pid for pid, _s in index.search(q, k, width)] for q in queries]

    def vectors(self, paper_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors of these papers under the current model (missing ones left out)."""
        contract = self._contract()
        if contract is None:
            return {}
        with self.engine.connect() as conn:
            return db.get_vectors(conn, contract[0], list(paper_ids), contract[1])

    def stop(self) -> None:
        """Ask a refresh under way to end after its current batch; close() waits for that."""
        self._closing.set()

    def close(self) -> None:
        """Stop the query-embedding and ANN threads, and end a refresh after its current batch.

        A stopping server used to wait for a whole build of the indexes (15 s and more for a
        large store under `serve --workers 2`); what the refresh wrote is kept, and the next
        start goes on from there.
        """
        self.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._ann.shutdown(wait=False, cancel_futures=True)
        with self._background, self._lock:
            pass


def _cosines(vectors: dict[str, np.ndarray], query: np.ndarray) -> dict[str, float]:
    """Cosine of each candidate that has a vector."""
    if not vectors:
        return {}
    scores = np.stack(list(vectors.values())) @ np.asarray(query, dtype=np.float32).reshape(-1)
    return dict(zip(vectors, scores.tolist(), strict=True))


def _check(mode: str, limit: int, offset: int, sort: str) -> None:
    if mode not in MODES:
        raise BadSearch(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if sort not in SORTS:
        raise BadSearch(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    if not 1 <= limit <= MAX_LIMIT:
        raise BadSearch(f"limit must be between 1 and {MAX_LIMIT}")
    if not 0 <= offset <= MAX_OFFSET:
        raise BadSearch(f"results go no further than {MAX_OFFSET:,} deep: ask for an earlier page")


def _pin(pinned: list[str], ranking: list[tuple[str, float]]) -> list[tuple[str, float]]:
    if not pinned:
        return ranking
    top = max((s for _p, s in ranking), default=1.0)
    scores = dict(ranking)
    head = [(p, max(scores.get(p, top), top)) for p in pinned]
    return head + [(p, s) for p, s in ranking if p not in set(pinned)]
