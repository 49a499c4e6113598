"""The keyword index: BM25 over title, abstract and authors in a tantivy index on local disk.

A paper's words are indexed in three fields: its title, its author names, and `text`, which
holds the title, the abstract and the names together (stemmed); arXiv's comments and journal
reference ("Accepted at ICML 2026") have a field of their own, `venue`, weighed low. Queries
score the abstract's evidence through `text`, so the abstract itself is only stored, not indexed
twice. An "every word" query intersects one `text` (or `venue`) term per word, not a union of
four fields per word.

The index is a cache derived from the store: `apply` writes rows read from the store, and how far
it has read (`Progress`: a settled cursor plus the newer rows applied) lives in a small JSON file
beside the index.
"""

from __future__ import annotations

import fcntl
import json
import re
import shutil
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import combinations, pairwise
from pathlib import Path

import tantivy
from tantivy import FieldType, Filter, Occur, Query, TextAnalyzerBuilder, Tokenizer

from paperfeed import categories
from paperfeed.models import normalise_title
from paperfeed.search.ids import id_key, key_id
from paperfeed.search.progress import Build, Progress
from paperfeed.search.query import ParsedQuery, code_words, name_words, words_of
from paperfeed.store.search_store import IndexRow
from paperfeed.text import (
    CJK_LETTERS,
    HANGUL_LETTERS,
    name_parts_joined,
    spelled_in,
    spelled_out,
    spelled_out_words,
)
from paperfeed.util import DiskFull, utcnow

# 3: the numeric `key` fast field (ids without reading documents); 4: the combined `text` field;
# 5: "C++", "C#" and "F#" indexed as words of their own in `text` (`query.code_words`);
# 6: author names in `text` through `code_words` too, where Turkish "İ" is "I" ("ismail" finds
# "İsmail Işık"); 7: names searched in `author_words`, read the same way (the author filter
# "Ismail Isik" finds "İsmail Işık"), `authors` only stored; Chinese and Japanese runs indexed
# as pairs of characters (`query.code_words`); 8: words with umlauts (and ø, å) indexed once more
# as German spells them out, "Schrödinger" as "Schroedinger" too (`text.spelled_out`); 9: the
# parts of a Chinese or Japanese name written together, "山田 太郎" as "山田太郎"
# (`query.name_words`); 10: the `umlauts` field, the words written with umlauts spelled out
# ("schroedinger"): a plain "Schrodinger" finds "Schroedinger" (and back) only where a paper wrote
# "Schrödinger" (`other_spellings`); 11: `title_key` keeps every script's letters and spells ß, ł,
# ø out (`models.normalise_title`): an exact title in Chinese or Russian names its paper;
# 12: the `venue` field (comments and journal reference: "ICML 2026"), and a Korean name's parts
# written together once more in `author_words` ("김 민수" as "김민수" too, as author keys join them)
SCHEMA_VERSION = 12
# The oldest schema whose fields the current queries read (7: `author_words`, `authors` stored
# only; 8, 9 and 11 only added or changed terms; 10's `umlauts` and 12's `venue` are read where
# the index has them): such an index keeps answering while its successor is built.
SEARCHABLE_SINCE = 7
UMLAUTS_SINCE = 10
VENUE_SINCE = 12
_STATE = "paperfeed-state.json"
_EPOCH = date(1970, 1, 1)
_TEXT_FIELDS = ("title", "text")
_ONE_CJK = re.compile(f"[{CJK_LETTERS}]")  # a query word of one Chinese or Japanese character
_CJK_WORD = re.compile(f"[{CJK_LETTERS}]+")
_HANGUL_WORD = re.compile(f"[{HANGUL_LETTERS}]+")
_REMEMBERED = 2000  # stored documents of recent hits kept for showing them
# tantivy reports a failed write without its OS error; with less than this free, it was space.
_LOW_SPACE = 64 * 1024 * 1024
# A long build commits (and saves how far it got) after this many papers: killed, it loses at
# most these, and the next start goes on from there.
COMMIT_EVERY = 50_000


class IndexBusy(RuntimeError):
    """Another process is writing this index right now."""


@dataclass(frozen=True)
class Filters:
    """Restrictions a search can carry."""

    since: date | None = None
    until: date | None = None
    # A category, or a whole archive ("cs", "q-bio"): any of its categories; several joined by
    # commas ("cs.CL,cs.LG", the query's "cat:cs.CL cat:cs.LG"): any of them.
    category: str | None = None
    author: str | None = None

    @property
    def any(self) -> bool:
        """True when at least one filter is set."""
        return any((self.since, self.until, self.category, self.author))


@dataclass(frozen=True)
class Weights:
    """Per-field BM25 weights: the title, the combined `text` field (which carries the
    abstract's evidence, and the title's and names' once more), the author names, and the
    comments and journal reference (`venue`: low, so that ordinary queries rank as before)."""

    title: float = 1.0
    abstract: float = 1.0
    authors: float = 1.0
    # 0.1: ordinary queries' top 10 as before (known-item MRR@10 unchanged, 94% of 3-word
    # queries' top 10 identical; 0.5 lowered it 0.0075: bench/RESULTS.md, "Comments searched")
    venue: float = 0.1


# Keyword mode: a title word counts in `text` and again in the title's own, short-field BM25.
# (Schema 4, SciFact dev: title 1.0 gives nDCG@10 0.640; 1.5, 0.613; 2.0, 0.601. Title 2.0 over
# a separate abstract field gave 0.610: bench/RESULTS.md, "Keyword at 1 M".)
KEYWORD = Weights()
# Hybrid mode's keyword half, tuned on SciFact dev: the dense half already reads titles, so the
# keyword half does best weighing exact evidence in the abstract (title 0.25: nDCG@10 0.701 with
# MiniLM, 0.663 with the static model; 0.5: 0.696 and 0.660; 0.0: 0.654 static). A proximity
# bonus added 0.005 nDCG@10 there at ~2.5x the keyword time at 1 M papers: dropped.
HYBRID = Weights(title=0.25)
FULL_NAME_BOOST = 4.0
# The index stores days as nanoseconds since 1970: filters beyond these days mean "no bound".
FIRST_DAY, LAST_DAY = (
    date(1678, 1, 1),
    date(2262, 1, 1),
)  # the whole query found as one author's name


@dataclass(frozen=True)
class StoredDoc:
    """The fields the index keeps for showing a hit."""

    id: str
    title: str
    abstract: str
    authors: tuple[str, ...]
    day: date | None


def stemmer() -> tantivy.TextAnalyzer:
    """The analyzer for title and abstract: lower-case, ASCII-folded, English-stemmed words."""
    builder = TextAnalyzerBuilder(Tokenizer.simple()).filter(Filter.remove_long(40))
    return (
        builder.filter(Filter.lowercase())
        .filter(Filter.ascii_fold())
        .filter(Filter.stemmer("english"))
        .build()
    )


def _nothing() -> tantivy.TextAnalyzer:
    """An analyzer that yields no terms: for a field that is stored, not searched."""
    return TextAnalyzerBuilder(Tokenizer.raw()).filter(Filter.remove_long(1)).build()


def _names() -> tantivy.TextAnalyzer:
    builder = TextAnalyzerBuilder(Tokenizer.simple()).filter(Filter.remove_long(40))
    return builder.filter(Filter.lowercase()).filter(Filter.ascii_fold()).build()


def _schema(version: int = SCHEMA_VERSION) -> tantivy.Schema:
    """The index's fields, as an index of schema `version` (an older one searched) has them."""
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_text_field("title", stored=True, tokenizer_name="en_stem")
    sb.add_text_field("abstract", stored=True, tokenizer_name="stored_only")
    sb.add_text_field("authors", stored=True, tokenizer_name="stored_only")
    sb.add_text_field("author_words", tokenizer_name="names")  # as `query.code_words` reads
    sb.add_text_field("text", tokenizer_name="en_stem")
    sb.add_text_field("title_key", tokenizer_name="raw")
    sb.add_text_field("category", tokenizer_name="raw")
    sb.add_date_field("day", stored=True, indexed=True, fast=True)
    sb.add_unsigned_field("key", fast=True)  # `id_key`: a hit's id without its stored document
    if version >= UMLAUTS_SINCE:
        sb.add_text_field("umlauts", tokenizer_name="names")  # words written with umlauts
    if version >= VENUE_SINCE:
        sb.add_text_field("venue", tokenizer_name="en_stem")  # comments and journal reference
    return sb.build()


def _release(writer: tantivy.IndexWriter) -> None:
    """Let go of a failed writer's lock now (its traceback may keep the object alive)."""
    with suppress(ValueError, OSError):
        writer.rollback()
    with suppress(ValueError, OSError, RuntimeError):
        writer.wait_merging_threads()  # consumes the writer: the lock file is released


def saved_watermark(path: Path) -> datetime | None:
    """The watermark of the index saved in `path`, read without opening it (None: no index)."""
    try:
        value = json.loads((path / _STATE).read_text()).get("watermark")
    except (OSError, ValueError):
        return None
    return datetime.fromisoformat(str(value)) if value else None


def saved_state(path: Path) -> tuple[int | None, Build | None]:
    """The schema version of the index saved in `path` and the build under way there, if any
    (read without opening it: `paperfeed doctor`, the admin console)."""
    try:
        state = json.loads((path / _STATE).read_text())
    except (OSError, ValueError):
        return None, None
    if not isinstance(state, dict):
        return None, None
    schema = state.get("schema")
    return (schema if isinstance(schema, int) else None), Build.from_json(state.get("build"))


@contextmanager
def folder_lock(path: Path) -> Iterator[None]:
    """Held while a process checks the index's version and wipes an old one: several workers
    starting at once wiped the folder under the one that had begun building it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / f".{path.name}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class KeywordIndex:
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
        try:
            return dict(json.loads((self.path / _STATE).read_text()))
        except (OSError, ValueError):
            return {}

    def _save_state(self, state: dict[str, object]) -> None:
        tmp = self.path / (_STATE + ".tmp")
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
    ) -> tuple[list[tuple[str, float]], int]:
        """Ranked (id, BM25 score) pairs for a parsed query, and how many papers match.

        With `all_words`, papers holding every meaningful word are the answer (and the count)
        when there are any; otherwise papers holding some of them.
        """
        searcher = self.index.searcher()
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

    def matcher(self, parsed: ParsedQuery, filters: Filters) -> Callable[[Filters], Query]:
        """The query `search(..., all_words=True)` runs under `filters`, for any narrower
        filters: every word when some paper under `filters` holds them all, else some."""
        every = _several(parsed) and self.count(self._query(parsed, filters, all_words=True)) > 0
        return lambda narrower: self._query(parsed, narrower, all_words=every)

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

    def frequencies(self, words: Sequence[str]) -> list[int]:
        """`frequency` of many plain lower-case ASCII words at once (one analyzer call)."""
        stems = self.stem.analyze(" ".join(words)) if words else []
        if len(stems) != len(words):  # a word the analyzer split or dropped: one at a time
            return [self.frequency(w) for w in words]
        searcher = self.index.searcher()
        venue = self.fields >= VENUE_SINCE
        return [
            max(
                searcher.doc_freq("text", stem),
                searcher.doc_freq("author_words", word),
                searcher.doc_freq("venue", stem) if venue else 0,
            )
            for word, stem in zip(words, stems, strict=True)
        ]

    def frequency(self, word: str) -> int:
        """In how many papers the word occurs (as the index reads it): title, abstract or name."""
        searcher = self.index.searcher()
        counts = [searcher.doc_freq("text", t) for t in self._stems(word)]
        counts += [searcher.doc_freq("author_words", t) for t in self._name_tokens(word)]
        if self.fields >= VENUE_SINCE:
            counts += [searcher.doc_freq("venue", t) for t in self._stems(word)]
        return int(max(counts, default=0))

    def _stems(self, word: str) -> list[str]:
        """A query word's stem as the index holds it, and its stem spelled out when it holds an
        umlaut ("müller": muller, and mueller as other papers write it), or in the other way
        papers wrote it ("schrodinger": schroedinger too, `other_spellings`)."""
        return self._forms(word, self.stem)

    def _name_tokens(self, word: str) -> list[str]:
        """`_stems` for author names (not stemmed)."""
        return self._forms(word, self.names)

    def _forms(self, word: str, analyzer: tantivy.TextAnalyzer) -> list[str]:
        spelled = spelled_out(word)
        others = [spelled] if spelled != word else self.other_spellings(word)
        tokens = analyzer.analyze(word)
        return list(dict.fromkeys(tokens + [t for o in others for t in analyzer.analyze(o)]))

    def other_spellings(self, word: str) -> list[str]:
        """A plain lower-case word's other spelling where a paper wrote it with an umlaut:
        "schroedinger" as "schrodinger" and back, once a paper wrote "Schrödinger"; none where
        no paper backs the guess ("does" is not "dos": no paper wrote "Dös"), nor in an index
        older than the field that says so."""
        if self.fields < UMLAUTS_SINCE or not word.isascii() or not word.isalpha():
            return []
        searcher = self.index.searcher()
        plain = spelled_in(word)
        if plain != word and searcher.doc_freq("umlauts", word):
            return [plain]
        return [w for w in _umlauts_spelled_out(word) if searcher.doc_freq("umlauts", w)]

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

    def _query(
        self,
        parsed: ParsedQuery,
        filters: Filters,
        weights: Weights = KEYWORD,
        all_words: bool = False,
    ) -> Query:
        base = self._match(parsed, weights, all_words) if parsed.positive else Query.all_query()
        others = self._exclusions(parsed) + self._filter_clauses(filters)
        return Query.boolean_query([(Occur.Must, base), *others]) if others else base

    def _match(
        self, parsed: ParsedQuery, weights: Weights = KEYWORD, all_words: bool = False
    ) -> Query:
        words = list(dict.fromkeys(parsed.meaningful))
        if all_words:
            clauses = self._every_word(
                words, parsed.prefixes, weights, parsed.either, parsed.acronyms, parsed.phrased
            )
        else:  # one flat union of term queries scores the same, and tantivy runs it faster
            each = [self._word(w, weights, w in parsed.acronyms) for w in words]
            each += [self._prefix(p) for p in parsed.prefixes]
            clauses = [(Occur.Should, q) for qs in each for q in qs]
        clauses += [(Occur.Should, q) for q in self._full_name(words)]
        clauses += [(Occur.Must, self._phrase(p, weights)) for p in parsed.phrases]
        if not clauses:
            return Query.empty_query()
        return Query.boolean_query(clauses)

    def _every_word(
        self,
        words: Sequence[str],
        prefixes: Sequence[str],
        weights: Weights,
        either: Sequence[Sequence[Sequence[str]]] = (),
        acronyms: Sequence[str] = (),
        phrased: Collection[Sequence[str]] = (),
    ) -> list[tuple[Occur, Query]]:
        """Every word required in the combined `text` field (scored as the abstract is), the
        title and author names adding their own evidence as the separate fields do; words
        and phrases joined by OR need one of their group."""
        clauses: list[tuple[Occur, Query]] = []
        alternatives = {w for group in either for alternative in group for w in alternative}
        for group in either:
            clauses.append((Occur.Must, self._one_of(group, weights, phrased)))
        korean = _korean_names(words)
        clauses += [(Occur.Must, self._korean_name(parts, weights)) for parts in korean]
        alternatives |= {w for parts in korean for w in parts}
        for word in words:
            if word in alternatives:
                for query in self._word(word, weights, word in acronyms):  # evidence only
                    clauses.append((Occur.Should, query))
                continue
            if _ONE_CJK.fullmatch(word):
                letter = self._cjk_letter(word, weights)
                clauses.append(
                    (Occur.Must, Query.boolean_query([(Occur.Should, q) for q in letter]))
                )
                continue
            stems = self._stems(word)
            if not stems:
                continue
            text = self._text(word, stems, word in acronyms)
            clauses.append((Occur.Must, self._text_or_venue(text, stems, weights)))
            title = _best([Query.term_query(self.schema, "title", t) for t in stems])
            clauses.append((Occur.Should, Query.boost_query(title, weights.title)))
            names = [] if word in acronyms else self._name_tokens(word)
            if names:
                author = _best([Query.term_query(self.schema, "author_words", t) for t in names])
                clauses.append((Occur.Should, Query.boost_query(author, weights.authors)))
        for prefix in prefixes:
            pattern = _regex_escape(self._prefix_stem(prefix)) + ".*"
            clauses.append((Occur.Must, Query.regex_query(self.schema, "text", pattern)))
        return clauses

    def _one_of(
        self,
        group: Sequence[Sequence[str]],
        weights: Weights,
        phrased: Collection[Sequence[str]] = (),
    ) -> Query:
        """Papers holding every word of one of these alternatives (in the `text` field), or
        the words of a phrase alternative in its order."""
        options: list[tuple[Occur, Query]] = []
        for alternative in group:
            if alternative in phrased:
                phrase = self._phrase(tuple(alternative), weights)
                options.append((Occur.Should, Query.boost_query(phrase, weights.abstract)))
                continue
            needed = [
                (Occur.Must, self._text_or_venue(self._text(word, stems, False), stems, weights))
                for word in alternative
                if (stems := self._stems(word))
            ]
            if needed:
                query = Query.boolean_query(needed)
                options.append((Occur.Should, Query.boost_query(query, weights.abstract)))
        return Query.boolean_query(options) if options else Query.empty_query()

    def _korean_name(self, parts: Sequence[str], weights: Weights) -> Query:
        """The parts of a Korean name typed apart ("김 민수"): each in the paper, or the name
        written together ("김민수": as papers and author keys also write it)."""
        apart = [(Occur.Must, _best(self._text(w, self._stems(w), False))) for w in parts]
        together = [
            Query.term_query(self.schema, "text", t) for t in self.stem.analyze("".join(parts))
        ]
        either = [(Occur.Should, Query.boolean_query(apart))]
        either += [(Occur.Should, q) for q in together]
        return Query.boost_query(Query.boolean_query(either), weights.abstract)

    def _full_name(self, words: Sequence[str]) -> list[Query]:
        # A query that is someone's name ("Carlos Guestrin") puts their papers first, above
        # papers that only share one of the words ("Monte Carlo").
        spellings = _spellings(_as_name(words), self.names)
        if not 2 <= len(spellings[0]) <= 4:
            return []
        name = [Query.phrase_query(self.schema, "author_words", list(t)) for t in spellings]
        name += [Query.term_query(self.schema, "author_words", t) for t in _korean_joined(words)]
        return [Query.boost_query(_best(name), FULL_NAME_BOOST)]

    def _word(self, word: str, weights: Weights = KEYWORD, acronym: bool = False) -> list[Query]:
        if _ONE_CJK.fullmatch(word):
            return self._cjk_letter(word, weights)
        out = []
        stems = self._stems(word)
        if stems:  # the `text` field's match is the abstract's evidence
            title = _best([Query.term_query(self.schema, "title", t) for t in stems])
            abstract = _best(self._text(word, stems, acronym))
            out += [
                Query.boost_query(title, weights.title),
                Query.boost_query(abstract, weights.abstract),
            ]
            venue = self._venue(stems, weights)
            out += [venue] if venue else []
        names = [] if acronym else self._name_tokens(word)
        if names:
            author = _best([Query.term_query(self.schema, "author_words", t) for t in names])
            out.append(Query.boost_query(author, weights.authors))
        return out

    def _text(self, word: str, stems: Sequence[str], acronym: bool) -> list[Query]:
        """The `text` field's query for each stem of a word. An acronym ("GAN") is not found in
        an author's name ("Lu Gan"): a paper by a Gan needs none (scored as the word alone)."""
        text = [Query.term_query(self.schema, "text", t) for t in stems]
        names = self.names.analyze(word) if acronym else []
        if not names:
            return text
        unnamed = [(Occur.MustNot, Query.term_query(self.schema, "author_words", t)) for t in names]
        return [Query.boolean_query([(Occur.Must, query), *unnamed]) for query in text]

    def _venue(self, stems: Sequence[str], weights: Weights) -> Query | None:
        """The word in the comments or journal reference, weighed low (None: an index older
        than the field)."""
        if self.fields < VENUE_SINCE or not stems or not weights.venue:
            return None
        venue = _best([Query.term_query(self.schema, "venue", t) for t in stems])
        return Query.boost_query(venue, weights.venue)

    def _text_or_venue(self, text: list[Query], stems: Sequence[str], weights: Weights) -> Query:
        """A word an every-word query needs: in the title, abstract or names, or in the comments
        or journal reference ("ICML 2026" where only the comments name the conference)."""
        found = Query.boost_query(_best(text), weights.abstract)
        venue = self._venue(stems, weights)
        if venue is None:
            return found
        return Query.boolean_query([(Occur.Should, found), (Occur.Should, venue)])

    def _cjk_letter(self, letter: str, weights: Weights) -> list[Query]:
        """One Chinese or Japanese character: it stands alone or in the pairs its runs were
        indexed as (`query.code_words`), so any term of one or two such characters that holds
        it matches."""
        pattern = f"[{CJK_LETTERS}]?{letter}[{CJK_LETTERS}]?"
        title, text = (Query.regex_query(self.schema, f, pattern) for f in _TEXT_FIELDS)
        return [Query.boost_query(title, weights.title), Query.boost_query(text, weights.abstract)]

    def _prefix(self, prefix: str) -> list[Query]:
        pattern = _regex_escape(self._prefix_stem(prefix)) + ".*"
        return [Query.regex_query(self.schema, field, pattern) for field in _TEXT_FIELDS]

    def _prefix_stem(self, prefix: str) -> str:
        tokens = self.stem.analyze(prefix)
        return tokens[0] if tokens and prefix.startswith(tokens[0]) else prefix

    def _phrase(self, words: tuple[str, ...], weights: Weights = KEYWORD) -> Query:
        spellings = _spellings(words, self.stem, guess=True)
        other = [(self.other_spellings(w) or [w])[0] for w in words]
        if other != list(words):  # "Schrodinger bridge" as "Schroedinger bridge" too
            spellings += [t for t in _spellings(other, self.stem) if t not in spellings]
        if len(spellings[0]) < 2:
            return Query.boolean_query([(Occur.Should, q) for w in words for q in self._word(w)])
        title, text = (
            _best([Query.phrase_query(self.schema, f, list(t)) for t in spellings])
            for f in _TEXT_FIELDS
        )
        boosted = [Query.boost_query(title, weights.title), text]
        if self.fields >= VENUE_SINCE and weights.venue:  # "ICML 2026" in the comments
            venue = _best([Query.phrase_query(self.schema, "venue", list(t)) for t in spellings])
            boosted.append(Query.boost_query(venue, weights.venue))
        return Query.boolean_query([(Occur.Should, q) for q in boosted])

    def _exclusions(self, parsed: ParsedQuery) -> list[tuple[Occur, Query]]:
        out = [(Occur.MustNot, q) for w in parsed.excluded_words for q in self._word(w)]
        return out + [(Occur.MustNot, self._phrase(p)) for p in parsed.excluded_phrases]

    def _filter_clauses(self, filters: Filters) -> list[tuple[Occur, Query]]:
        out: list[tuple[Occur, Query]] = []
        if filters.since or filters.until:
            low = datetime.combine(_clamp(filters.since), time()) if filters.since else None
            high = datetime.combine(_clamp(filters.until), time()) if filters.until else None
            out.append(
                (Occur.Must, Query.range_query(self.schema, "day", FieldType.Date, low, high))
            )
        if filters.category:
            out.append((Occur.Must, self._category(filters.category)))
        if filters.author:
            out.append((Occur.Must, self._author(filters.author)))
        return out

    def _category(self, category: str) -> Query:
        """Papers listed in the category, or in any category of an archive ("cs": cs.AI, ...)."""
        held = categories.kept_by(category)
        if len(held) == 1:
            return Query.term_query(self.schema, "category", held[0])
        return Query.term_set_query(self.schema, "category", list(held))

    def _author(self, name: str) -> Query:
        typed = _given_name_first(name)
        spellings = _spellings(words_of(name_words(typed)), self.names)
        if not spellings[0]:
            return Query.empty_query()
        joined = tuple(words_of(name_words(name_parts_joined(typed))))
        if joined not in spellings:  # "김 민수" as "김민수" too (a paper may write either)
            spellings.append(joined)
        return _best([self._one_name(list(tokens)) for tokens in spellings])

    def _one_name(self, tokens: list[str]) -> Query:
        if len(tokens) == 1:
            return Query.term_query(self.schema, "author_words", tokens[0])
        if any(len(t) == 1 for t in tokens):  # an initial ("M. Färber") stands for any name
            patterns: list[str | tuple[int, str]] = [
                f"{t}.*" if len(t) == 1 else _regex_escape(t) for t in tokens
            ]
            return Query.regex_phrase_query(self.schema, "author_words", patterns)
        return Query.phrase_query(self.schema, "author_words", list(tokens))


def _several(parsed: ParsedQuery) -> bool:
    """Whether the query asks for more than one thing (words, prefixes, phrases), so that papers
    holding all of them come first: '"graph neural network" diffusion' needs both."""
    return len(parsed.meaningful) + len(parsed.prefixes) + len(parsed.phrases) > 1


def _as_name(words: Sequence[str]) -> Sequence[str]:
    """Words that are the parts of a Chinese or Japanese name ("山田 太郎") as the index holds
    the name: written together, as its pairs of characters."""
    if len(words) > 1 and all(_CJK_WORD.fullmatch(w) for w in words):
        return words_of("".join(words))
    return words


def _korean_names(words: Sequence[str]) -> list[tuple[str, ...]]:
    """Runs of two or more Hangul words in a query ("pooling 김 민수"): maybe a Korean name's
    parts, which papers also write together."""
    runs: list[list[str]] = [[]]
    for word in words:
        if _HANGUL_WORD.fullmatch(word):
            runs[-1].append(word)
        elif runs[-1]:
            runs.append([])
    return [tuple(run) for run in runs if len(run) > 1]


def _korean_joined(words: Sequence[str]) -> list[str]:
    """Words that are the parts of a Korean name ("김 민수") written together, as papers also
    write it ("김민수"); none for other words."""
    if len(words) > 1 and all(_HANGUL_WORD.fullmatch(w) for w in words):
        return ["".join(words)]
    return []


def _given_name_first(name: str) -> str:
    """A name as papers write it: "Färber, Michael" and arXiv's "Farber_M" as "Michael Färber"
    and "M Farber"."""
    family, comma, given = name.replace("_", ",", 1).partition(",")
    return f"{given} {family}" if comma else name


def _spellings(
    words: Sequence[str], analyzer: tantivy.TextAnalyzer, guess: bool = False
) -> list[tuple[str, ...]]:
    """The terms of these words in a row, and once more with their umlauts spelled out when
    they hold any ("Müller" as muller and mueller: a paper writes one or the other). With
    `guess`, spelled-out umlauts are read back too ("Mueller" as muller): for phrases, where
    the words around make a wrong guess ("does" as "dos") unlikely to match."""
    typed = tuple(t for w in words for t in analyzer.analyze(w))
    spelled = tuple(t for w in words for t in analyzer.analyze(spelled_out(w)))
    guessed = tuple(t for w in words for t in analyzer.analyze(spelled_in(w))) if guess else ()
    return [typed] + [s for s in dict.fromkeys((spelled, guessed)) if s and s != typed]


def _umlauts_spelled_out(word: str) -> list[str]:
    """The ways a plain word could spell umlauts out: an "e" after an "a", "o" or "u" (its
    first four), "schrodinger" as "schroedinger"."""
    spots = [i + 1 for i, c in enumerate(word) if c in "aou" and word[i + 1 : i + 2] != "e"][:4]
    return [
        "".join(word[a:b] + "e" for a, b in pairwise((0, *combo))) + word[combo[-1] :]
        for n in range(1, len(spots) + 1)
        for combo in combinations(spots, n)
    ]


def _best(queries: list[Query]) -> Query:
    """One query, or the best-scoring of several spellings of one thing (never their sum)."""
    return queries[0] if len(queries) == 1 else Query.disjunction_max_query(queries)


def _clamp(day: date) -> date:
    """A day inside the range the index can hold (no paper lies outside it)."""
    return min(max(day, FIRST_DAY), LAST_DAY)


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


def _regex_escape(text: str) -> str:
    return "".join(c if c.isalnum() else "\\" + c for c in text)
