"""SearchService: keyword, semantic and hybrid search and similar papers over one store."""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date

import numpy as np
from sqlalchemy import Engine

from paperfeed.search import dated, limited
from paperfeed.search.beside import open_keyword
from paperfeed.search.embed import Embedder
from paperfeed.search.keyword import Filters
from paperfeed.search.query import ParsedQuery, paper_id_in, parse_query, within, words_of
from paperfeed.search.results import Hit, SearchResult
from paperfeed.search.service.dense import DenseRanking
from paperfeed.search.service.model import NOTHING_TO_EMBED, QUERY_VECTORS_KEPT
from paperfeed.search.service.upkeep import IndexUpkeep, log
from paperfeed.search.snippets import Highlighter
from paperfeed.search.spelling import suggest
from paperfeed.search.vectors import FaissIndex, normalise
from paperfeed.settings import Settings
from paperfeed.store import search_store as db
from paperfeed.store.health import Outage
from paperfeed.store.listings import SCAN_MOST, Hide, Kept, kept_window
from paperfeed.store.word_match import shown_papers
from paperfeed.util import Lru

MODES = ("keyword", "semantic", "hybrid")
SORTS = ("relevance", "date")
MAX_LIMIT = 1000
MAX_OFFSET = 10_000
SIMILAR_KEPT = 4096  # papers' similar papers kept per process (six titles and ids each)
_MIXED_RE = re.compile(r"[a-z]+\d+|\d+[a-z]+|[a-z]+\d+[a-z]+")  # one change of letters to digits
_LETTERS_OR_DIGITS_RE = re.compile(r"[a-z]+|\d+")


class BadSearch(ValueError):
    """A search request with an invalid option (not the query text: any text is fine)."""


class SearchService(IndexUpkeep, DenseRanking):
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
        among: frozenset[str] | None = None,
    ) -> SearchResult:
        """Search papers; any query text is valid, bad options raise BadSearch.

        `among`: only these papers are searched (a conference's); None: every paper.

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
            *within(since, until, parsed), category or parsed.category, author or None, among
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
        # A meaning search counts no further than one past the page: "of about" that many.
        estimated = not kept.exact or (used == "semantic" and sort != "date" and kept.total > depth)
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
        category = filters.category or parsed.category
        kept = replace(filters, since=since, until=until, category=category)
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
        if index is not None and mode == "hybrid" and by_date:
            fused, reason = self._hybrid_by_date(index, query, parsed, filters, need)
            if fused is not None:
                return (*fused, "hybrid", None)
        elif index is not None and mode == "hybrid":
            fused, reason = self._hybrid(index, query, parsed, filters, need)
            if fused is not None:
                hits, total = fused
                return hits, total, "hybrid", None
        elif index is not None:
            vector, reason = self._query_vector(query)
            if vector is not None:
                # One more than the page needs: how many lie above the model's floor is
                # not counted, and a page must know whether another follows it.
                hits = self._semantic(index, vector, parsed, filters, need + 1, by_date)
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
