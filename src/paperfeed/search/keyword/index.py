"""The keyword index on disk: writing the store's rows to it, searching it, reading hits back."""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext, suppress
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from math import comb
from pathlib import Path

import tantivy
from tantivy import Occur, Query

from paperfeed.models import normalise_title
from paperfeed.search.ids import id_key, key_id
from paperfeed.search.keyword.queries import KEYWORD, Filters, QueryBuilder, Weights, _several
from paperfeed.search.keyword.schema import (
    _STATE,
    SCHEMA_VERSION,
    SEARCHABLE_SINCE,
    UMLAUTS_SINCE,
    VENUE_SINCE,
    _names,
    _nothing,
    _schema,
    folder_lock,
    stemmer,
)
from paperfeed.search.progress import Build, Progress
from paperfeed.search.query import ParsedQuery, code_words, name_words
from paperfeed.store.search_store import IndexRow
from paperfeed.text import name_parts_joined, spelled_out, spelled_out_words
from paperfeed.util import DiskFull, utcnow

_EPOCH = date(1970, 1, 1)
_REMEMBERED = 2000  # stored documents of recent hits kept for showing them
# tantivy reports a failed write without its OS error; with less than this free, it was space.
_LOW_SPACE = 64 * 1024 * 1024
# A long build commits (and saves how far it got) after this many papers: killed, it loses at
# most these, and the next start goes on from there.
COMMIT_EVERY = 50_000
QUORUM_MOST = 70  # word subsets a date order's level may try (every level of 8 words)


class IndexBusy(RuntimeError):
    """Another process is writing this index right now."""


@dataclass(frozen=True)
class StoredDoc:
    """The fields the index keeps for showing a hit."""

    id: str
    title: str
    abstract: str
    authors: tuple[str, ...]
    day: date | None


def _release(writer: tantivy.IndexWriter) -> None:
    """Let go of a failed writer's lock now (its traceback may keep the object alive)."""
    with suppress(ValueError, OSError):
        writer.rollback()
    with suppress(ValueError, OSError, RuntimeError):
        writer.wait_merging_threads()  # consumes the writer: the lock file is released


class KeywordIndex(QueryBuilder):
    """A tantivy index in one directory, safe to search from many threads."""

    def __init__(self, path: Path, keep_outdated: bool = False, locked: bool = False) -> None:
        """Open (or create) the index in `path`; one of an older schema is wiped, unless
        `keep_outdated` (it answers while its successor is built beside it); `locked`: the
        caller holds `folder_lock`."""
        self.path, self._keep_outdated = path, keep_outdated
        self._write_lock = threading.Lock()
        # Stored documents of recent hits, until a reload; read into a StoredDoc only when shown.
        self._docs: dict[str, tantivy.Document] = {}
        # Recent hits' ids -> the searcher and address they were found at (`docs` reads them).
        self._where: dict[str, tuple[tantivy.Searcher, tantivy.DocAddress]] = {}
        self.stem, self.names = stemmer(), _names()
        # The state file as last read, under its identity (inode, change time, size): every
        # search asks for the build and the progress; after a bulk load the file holds every
        # paper read in the last minutes (3.3 MB for 75 k papers, 28 ms a search to parse).
        self._read_state: tuple[tuple[int, int, int], dict[str, object]] | None = None
        self._open(locked)

    def _open(self, locked: bool = False) -> None:
        with nullcontext() if locked else folder_lock(self.path):
            self.path.mkdir(parents=True, exist_ok=True)
            saved = self._state().get("schema")
            if saved != SCHEMA_VERSION and not self._keep_outdated:
                self._wipe()
        self._inode = self.path.stat().st_ino
        old = isinstance(saved, int) and SEARCHABLE_SINCE <= saved < SCHEMA_VERSION
        self.version = (
            saved if isinstance(saved, int) and old and self._keep_outdated else SCHEMA_VERSION
        )
        # An older index kept answering is opened with its own fields (it may lack newer ones).
        for fields in dict.fromkeys((self.version, SCHEMA_VERSION)):
            self.fields, self.schema = fields, _schema(fields)
            try:
                self.index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
                break
            except ValueError as exc:
                if "schema does not match" not in str(exc):
                    raise
        else:
            self._wipe()  # fields changed without a new version number: start over
            self.version = self.fields = SCHEMA_VERSION
            self.schema = _schema()
            self.index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
        self.index.register_tokenizer("en_stem", self.stem)
        self.index.register_tokenizer("names", self.names)
        self.index.register_tokenizer("stored_only", _nothing())

    def _wipe(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True)
        self._save_state({"schema": SCHEMA_VERSION, "progress": None})

    def missing(self) -> bool:
        """Whether the index's folder was deleted under this process (it searches the old one)."""
        return not (self.path / "meta.json").exists()

    def replaced(self) -> bool:
        """Whether another folder took this one's place (a rebuilt index swapped in) or it is
        gone: this process should open it again."""
        try:
            return self.path.stat().st_ino != self._inode
        except OSError:
            return True

    def _state(self) -> dict[str, object]:
        """The state file's contents (a copy of its top level), parsed again only once another
        writer replaced it (each write is a new file renamed into place)."""
        path = self.path / _STATE
        try:
            info = path.stat()
            identity = (info.st_ino, info.st_mtime_ns, info.st_size)
            kept = self._read_state
            if kept is None or kept[0] != identity:
                kept = (identity, dict(json.loads(path.read_text())))
                self._read_state = kept
            return dict(kept[1])
        except (OSError, ValueError):
            return {}

    def _save_state(self, state: dict[str, object]) -> None:
        # Each writer its own temporary file (a refresh thread here, another worker's there):
        # with one shared name, one writer's rename took the file the other was about to move.
        tmp = self.path / f"{_STATE}.{os.getpid()}.{threading.get_ident()}.tmp"
        tmp.write_text(json.dumps(state))
        tmp.replace(self.path / _STATE)

    @property
    def progress(self) -> Progress:
        """How far this index has read the store (shared by every process using the folder)."""
        return Progress.from_json(self._state().get("progress"))

    @property
    def build(self) -> Build | None:
        """The build from scratch under way in this folder (by any process), if any."""
        return Build.from_json(self._state().get("build"))

    def begin_build(self, total: int) -> Build:
        """Note that the index is being built from scratch over `total` papers: searches say
        so (and how far it got) instead of answering from a part of the papers."""
        with self._write_lock:
            state = self._state()
            build = Build.from_json(state.get("build")) or Build(total)
            self._save_state(state | {"build": build.to_json()})
        return build

    def end_build(self) -> None:
        """The build read the store to its end: searches answer from the index again."""
        with self._write_lock:
            state = self._state()
            if "build" in state:
                del state["build"]
                self._save_state(state)

    @property
    def num_docs(self) -> int:
        """How many papers the index holds."""
        return int(self.index.searcher().num_docs)

    def clear(self) -> None:
        """Drop everything (a rebuild follows)."""
        with self._write_lock:
            self._keep_outdated = False
            self._wipe()
            self._open()

    def apply(
        self,
        batches: Iterable[list[IndexRow]],
        now: datetime | None = None,
        heap: int = 200_000_000,
        commit_every: int = COMMIT_EVERY,
    ) -> int:
        """Write rows read from the store after `progress.cursor`, skipping those already applied
        (hidden papers are removed); returns how many papers were (re)indexed. What is written
        is committed, with how far it got, every `commit_every` papers and at the end."""
        with self._write_lock:
            progress, changed = self.progress, False
            writer, written, pending = None, 0, 0
            try:
                for batch in batches:
                    keys = [(row.id, row.changed_at) for row in batch]
                    fresh = [batch[i] for i in progress.fresh(keys)]
                    if fresh:
                        writer = writer or self._writer(heap)  # opened only when there is work
                        self._write(writer, fresh)
                        written, pending = written + len(fresh), pending + len(fresh)
                    changed |= progress.advance(keys, now or utcnow())
                    if writer is not None and pending >= commit_every:
                        self._commit(writer, progress, pending)
                        pending, changed = 0, False
                if writer is not None:
                    writer.commit()
                    writer.wait_merging_threads()
            except (ValueError, OSError) as exc:
                if writer is not None:
                    _release(writer)
                self._raise_if_full(exc)
                raise
            if writer is not None or changed:
                self._save_progress(progress, pending)
        if writer is not None:
            self.reload()
        return written

    def _commit(self, writer: tantivy.IndexWriter, progress: Progress, written: int) -> None:
        """Commit a long apply's papers so far, and how far it got (a kill loses no more)."""
        writer.commit()
        self._save_progress(progress, written)

    def _save_progress(self, progress: Progress, written: int) -> None:
        state = self._state()
        newest = progress.newest.isoformat() if progress.newest else None
        # An older index kept answering stays of its schema: its papers lack newer terms.
        saved: dict[str, object] = {"schema": self.version, "progress": progress.to_json()}
        build = Build.from_json(state.get("build"))
        if build is not None:  # begun by this process or another: it goes on
            saved["build"] = Build(build.total, build.done + written).to_json()
        self._save_state(saved | {"watermark": newest})  # read by `paperfeed doctor`

    def _raise_if_full(self, exc: Exception) -> None:
        # The progress file was not saved: a later apply writes the same rows again.
        free = shutil.disk_usage(self.path).free
        if free < _LOW_SPACE:
            raise DiskFull(f"the search index's disk is full ({free:,} bytes free): {exc}") from exc

    def _write(self, writer: tantivy.IndexWriter, rows: list[IndexRow]) -> None:
        for row in rows:
            writer.delete_documents_by_term("id", row.id)
            if not row.hidden:
                writer.add_document(self._document(row))

    def _writer(self, heap: int) -> tantivy.IndexWriter:
        try:
            return self.index.writer(heap, 1)
        except ValueError as exc:
            raise IndexBusy(str(exc)) from exc

    def _document(self, row: IndexRow) -> tantivy.Document:
        doc = tantivy.Document(id=row.id, title=row.title, abstract=row.abstract)
        doc.add_text("title_key", normalise_title(row.title))
        doc.add_text("text", code_words(row.title))
        doc.add_text("text", code_words(row.abstract))
        for name in row.authors:
            doc.add_text("authors", name)
            doc.add_text("author_words", name_words(name))
            doc.add_text("text", name_words(name))
            joined = name_words(name_parts_joined(name))
            if self.fields >= VENUE_SINCE and joined != name_words(name):
                doc.add_text("author_words", joined)  # "김 민수" as "김민수" too
                doc.add_text("text", joined)
        if self.fields >= VENUE_SINCE:
            for venue in (row.comments, row.journal_ref):
                if venue:
                    doc.add_text("venue", code_words(venue))
        self._add_spelled_out(doc, row)
        for category in row.categories:
            doc.add_text("category", category)
        if row.day:
            doc.add_date("day", datetime.combine(row.day, time()))
        doc.add_unsigned("key", id_key(row.id))
        return doc

    def _add_spelled_out(self, doc: tantivy.Document, row: IndexRow) -> None:
        # Words with umlauts once more as spelled out ("Schroedinger", "Mueller"), after the
        # text's own words: each name whole, so that a name's words stay next to each other.
        title = spelled_out_words(row.title)
        if title:
            doc.add_text("title", " ".join(title))
        words = title + spelled_out_words(row.abstract)
        for name in row.authors:
            spelled = spelled_out(name)
            if spelled != name:
                doc.add_text("author_words", code_words(spelled))
                words += spelled_out_words(name)
        if words:
            doc.add_text("text", code_words(" ".join(words)))
            if self.fields >= UMLAUTS_SINCE:
                doc.add_text("umlauts", " ".join(words))

    # --- querying -------------------------------------------------------------------------

    def search(
        self,
        parsed: ParsedQuery,
        filters: Filters,
        limit: int,
        offset: int = 0,
        by_date: bool = False,
        weights: Weights = KEYWORD,
        all_words: bool = False,
        every: bool = False,
    ) -> tuple[list[tuple[str, float]], int]:
        """Ranked (id, BM25 score) pairs for a parsed query, and how many papers match.

        With `all_words`, papers holding every meaningful word are the answer (and the count)
        when there are any; otherwise papers holding some of them (by date: `matcher`'s).
        """
        searcher = self.index.searcher()
        if all_words and by_date:  # a date order lists the relevant papers only
            query = self.matcher(parsed, filters, every)(filters)
            return self._run(searcher, query, limit, offset, True)
        if all_words and _several(parsed):
            query = self._query(parsed, filters, weights, all_words=True)
            hits, count = self._run(searcher, query, limit, offset, by_date)
            if count:
                return hits, count
        return self._run(searcher, self._query(parsed, filters, weights), limit, offset, by_date)

    def _run(
        self, searcher: tantivy.Searcher, query: Query, limit: int, offset: int, by_date: bool
    ) -> tuple[list[tuple[str, float]], int]:
        order = "day" if by_date else None
        result = searcher.search(query, limit, count=True, order_by_field=order, offset=offset)
        ids = self._read(searcher, result.hits)
        scores = [_score(score, by_date) for score, _addr in result.hits]
        hits = list(zip(ids, scores, strict=True))
        return hits, int(getattr(result, "count", 0) or 0)

    def matcher(
        self, parsed: ParsedQuery, filters: Filters, every: bool = False
    ) -> Callable[[Filters], Query]:
        """The papers a date order lists under `filters`, as a query for narrower filters: those
        holding every word, else as many words as any paper does, not any that shares one
        word (with `every`, papers holding every word only: maybe none)."""
        size = self._level(parsed, filters, every) if _several(parsed) else None
        if size is None:
            return lambda narrower: self._query(parsed, narrower)
        return lambda narrower: self._quorum(parsed, narrower, size)

    def _level(self, parsed: ParsedQuery, filters: Filters, every: bool) -> int | None:
        """How many of the query's words the papers a date order lists hold (None: any)."""
        words = len(set(parsed.meaningful))
        if every:
            return words
        for size in range(words, 0 if words else -1, -1):
            if comb(words, size) > QUORUM_MOST:
                return None  # a pasted abstract: too many subsets to try, any word will do
            if self.count(self._quorum(parsed, filters, size)):
                return size
        return None

    def among(self, query: Query, ids: Sequence[str]) -> set[str]:
        """Those of these papers that a query matches."""
        held = Query.term_set_query(self.schema, "id", list(ids))
        both = Query.boolean_query([(Occur.Must, query), (Occur.Must, held)])
        searcher = self.index.searcher()
        return set(self._read(searcher, searcher.search(both, len(ids)).hits))

    def count(self, query: Query) -> int:
        """How many papers a query matches."""
        return int(getattr(self.index.searcher().search(query, 1, count=True), "count", 0) or 0)

    def dated(self, query: Query, limit: int) -> list[tuple[date, str]]:
        """(day, id) of up to `limit` papers the query matches, latest day first (a day's
        papers in the index's order; papers with no day last)."""
        searcher = self.index.searcher()
        hits = searcher.search(query, limit, count=False, order_by_field="day").hits
        ids = self._read(searcher, hits)
        return [
            (_day_of(int(ns)), pid)
            for (ns, _a), pid in zip(hits, ids, strict=True)
            if isinstance(ns, int)
        ]

    def _read(
        self, searcher: tantivy.Searcher, hits: Iterable[tuple[object, tantivy.DocAddress]]
    ) -> list[str]:
        """The ids of these hits, from the `key` fast field; a hit whose id has no key (not a
        new-style arXiv id) is read from its stored document, which is kept for showing it."""
        addresses = [addr for _score, addr in hits]
        keys = searcher.fast_field_values("key", addresses) if addresses else []
        ids: list[str] = []
        read: dict[str, tantivy.Document] = {}
        for address, key in zip(addresses, keys, strict=True):
            found = key_id(key) if isinstance(key, int) else None
            if found is None:
                doc = searcher.doc(address)
                found = doc["id"][0]
                read[found] = doc
            ids.append(found)
        if read:
            if len(self._docs) > _REMEMBERED:
                self._docs = {}
            self._docs.update(read)
        # The page about to be shown is among these hits: where to read them without a search.
        if len(self._where) > _REMEMBERED:
            self._where = {}
        self._where.update((pid, (searcher, a)) for pid, a in zip(ids, addresses, strict=True))
        return ids

    def reload(self) -> None:
        """See what another process wrote."""
        self.index.reload()
        self._docs, self._where = {}, {}

    def keep(
        self, ids: Sequence[str], filters: Filters, parsed: ParsedQuery | None = None
    ) -> set[str]:
        """The subset of ids that the index holds, that pass the filters and the exclusions."""
        if not ids:
            return set()
        clauses = [(Occur.Must, Query.term_set_query(self.schema, "id", list(ids)))]
        clauses += self._filter_clauses(filters) + (self._exclusions(parsed) if parsed else [])
        query = Query.boolean_query(clauses)
        searcher = self.index.searcher()
        result = searcher.search(query, len(ids), count=False)
        return set(self._read(searcher, result.hits))

    def keep_scored(
        self,
        ids: Sequence[str],
        filters: Filters,
        parsed: ParsedQuery,
        weights: Weights = KEYWORD,
    ) -> dict[str, float]:
        """`keep` and BM25 scoring in one search: each kept id with its BM25 score for the
        query (0.0 when it does not match the query's words)."""
        if not ids:
            return {}
        held = [(Occur.Must, Query.term_set_query(self.schema, "id", list(ids)))]
        restrict = Query.const_score_query(
            Query.boolean_query(held + self._filter_clauses(filters)), 0.0
        )
        clauses = [(Occur.Must, restrict)]
        if parsed.positive:  # optional beside a Must clause: it only adds its score
            clauses.append((Occur.Should, self._match(parsed, weights)))
        query = Query.boolean_query(clauses + self._exclusions(parsed))
        searcher = self.index.searcher()
        result = searcher.search(query, len(ids), count=False)
        return dict(zip(self._read(searcher, result.hits), _scores(result.hits), strict=True))

    def docs(self, ids: Sequence[str]) -> dict[str, StoredDoc]:
        """Stored fields of these papers (those the index holds)."""
        known, where = self._docs, self._where
        read = {
            pid: where[pid][0].doc(where[pid][1])
            for pid in ids
            if pid not in known and pid in where
        }
        unknown = [pid for pid in ids if pid not in known and pid not in read]
        if unknown:  # only what recent searches have not found already
            searcher = self.index.searcher()
            query = Query.term_set_query(self.schema, "id", unknown)
            result = searcher.search(query, len(unknown), count=False)
            read |= {doc["id"][0]: doc for doc in (searcher.doc(a) for _s, a in result.hits)}
        found = ((pid, known.get(pid) or read.get(pid)) for pid in ids)
        return {pid: _stored(doc) for pid, doc in found if doc is not None}

    def title_matches(self, text: str, limit: int = 5) -> list[str]:
        """Ids of papers whose normalised title equals the text's."""
        key = normalise_title(text)
        if not key:
            return []
        searcher = self.index.searcher()
        query = Query.term_query(self.schema, "title_key", key)
        return [searcher.doc(a)["id"][0] for _s, a in searcher.search(query, limit).hits]


def _day_of(nanoseconds: int) -> date:
    """The day a `day` fast field value (nanoseconds since 1970, UTC midnight) stands for."""
    return _EPOCH + timedelta(days=nanoseconds // 86_400_000_000_000)


def _stored(doc: tantivy.Document) -> StoredDoc:
    days = doc.get_all("day")
    return StoredDoc(
        id=doc["id"][0],
        title=(doc.get_first("title") or ""),
        abstract=(doc.get_first("abstract") or ""),
        authors=tuple(doc.get_all("authors")),
        day=days[0].date() if days else None,
    )


def _scores(hits: Iterable[tuple[object, object]]) -> list[float]:
    return [float(score) for score, _addr in hits]  # type: ignore[arg-type]


def _score(score: object, by_date: bool) -> float:
    # Sorted by date, tantivy hands back the date (nanoseconds), not a relevance score.
    return 0.0 if by_date else float(score)  # type: ignore[arg-type]
