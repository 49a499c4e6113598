"""Reading and writing papers: version-aware, idempotent batch upserts."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from functools import cache, lru_cache
from typing import Any, TypeVar

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Dialect,
    RowMapping,
    Select,
    Table,
    bindparam,
    delete,
    select,
    update,
)
from sqlalchemy import Row as SqlRow

from paperfeed.latex import decode_name, tex_accents
from paperfeed.models import Paper, Signals, Version, normalise_title
from paperfeed.store.clock import store_now
from paperfeed.store.sql import in_list
from paperfeed.store.tables import (
    code_links,
    paper_authors,
    paper_categories,
    papers,
    signals,
    versions,
)
from paperfeed.text import KEY_WORD, key_folded, name_parts_joined
from paperfeed.util import chunks, utcnow

_CHUNK = 500
_When = TypeVar("_When", datetime, date)
_CHILDREN = (versions, paper_authors, paper_categories, code_links, signals)
_BRIEF = (paper_authors, paper_categories)
_LATEX = re.compile(r"[{}$\\]")
_WORD = re.compile(r"[a-z0-9]+")
_CONTROL_WORD = re.compile(r"\\[A-Za-z]+")  # a TeX command left in a name: not a word of it
Row = tuple[Any, ...]
_COMPARED = tuple(f.name for f in fields(Paper) if f.compare)
# The columns bulk inserts fill, in the order of the row tuples built below.
_COLUMNS: dict[Table, tuple[str, ...]] = {
    papers: (
        "id", "version", "title", "title_key", "abstract", "published", "updated", "comments",
        "journal_ref", "doi", "license", "source", "first_seen", "listing_date", "withdrawn",
        "hidden", "featured", "changed_at", "fingerprint", "listed_at",
    ),
    versions: ("paper_id", "version", "created"),
    paper_authors: ("paper_id", "position", "name", "name_key"),
    paper_categories: ("paper_id", "category", "position"),
    code_links: ("paper_id", "position", "url"),
    signals: ("paper_id", "upvotes", "submitted_by", "github_repo", "github_stars"),
}  # fmt: skip


@dataclass
class UpsertCounts:
    """What one upsert did."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0  # records of the batch whose id an earlier one in it had (merged in)

    def add(self, other: UpsertCounts) -> None:
        """Accumulate another batch's counts."""
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.duplicates += other.duplicates


def upsert_papers(
    conn: Connection, batch: Sequence[Paper], day_of: Callable[[Paper], date | None] | None = None
) -> UpsertCounts:
    """Insert new papers and merge newer data into stored ones, in the caller's transaction;
    `day_of` gives a listing day to a paper that has none, never replacing a stored one."""
    incoming = _dedupe(batch)
    dated = _give_days(incoming, day_of) if day_of else set()
    prints = {pid: fingerprint(paper) for pid, paper in incoming.items()}
    stored = _stored_fingerprints(conn, list(incoming))
    # A paper whose stored fingerprint is the incoming one's is unchanged: nothing to load.
    same = {pid for pid, digest in stored.items() if digest == prints[pid]}
    load = [pid for pid in incoming if pid in stored and pid not in same]
    existing = get_papers(conn, load) if load else {}
    now = store_now(conn)  # the store's clock: digests on another host compare with it
    counts = UpsertCounts(unchanged=len(same), duplicates=len(batch) - len(incoming))
    new = [p for pid, p in incoming.items() if pid not in existing and pid not in same]
    changed, refresh, moved, revised = [], [], [], []
    for pid, old in existing.items():
        merged = merge_paper(old, incoming[pid])
        if pid in dated and old.listing_date:  # a day it was shown on stays
            merged = replace(merged, listing_date=old.listing_date)
        if merged != old:
            changed.append(merged)
            moved += [pid] if merged.listing_date != old.listing_date else []
            revised += [pid] if (merged.version or 0) > (old.version or 0) else []
            continue
        counts.unchanged += 1
        if stored[pid] != (digest := fingerprint(old)):
            refresh.append({"_id": pid, "fingerprint": digest})  # stores from before 0005
    _insert(conn, new, now, prints)
    _update(conn, changed, now)
    _stamp(conn, moved, "listed_at", now)
    _stamp(conn, revised, "version_stored_at", now)
    if refresh:
        conn.execute(update(papers).where(papers.c.id == bindparam("_id")), refresh)
    counts.inserted, counts.updated = len(new), len(changed)
    return counts


def _stamp(conn: Connection, ids: Sequence[str], column: str, now: datetime) -> None:
    # listed_at: given a day, or moved to an earlier one, now (new there for the digests);
    # version_stored_at: a newer version stored now (followers of its collections are told).
    for chunk in chunks(ids, _CHUNK):
        conn.execute(update(papers).where(_among(conn, papers.c.id, chunk)).values({column: now}))


def _give_days(incoming: dict[str, Paper], day_of: Callable[[Paper], date | None]) -> set[str]:
    dated = set()
    for pid, paper in incoming.items():
        if paper.listing_date is None and (day := day_of(paper)) is not None:
            incoming[pid] = replace(paper, listing_date=day)
            dated.add(pid)
    return dated


def fingerprint(paper: Paper) -> str:
    """A digest of every field a Paper compares by: equal papers, equal digests, and back.

    The fields as JSON (orjson: a third of the cost of their repr). A store holding digests of
    another form sees each paper once as possibly changed: loaded, found equal, and re-stamped.
    """
    values = [getattr(paper, name) for name in _COMPARED]
    try:
        data = orjson.dumps(values)
    except orjson.JSONEncodeError:  # lone surrogates, which no store can hold: the exact repr
        data = repr(values).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _stored_fingerprints(conn: Connection, ids: Sequence[str]) -> dict[str, str | None]:
    # One cheap query first: a fresh load or an unchanged re-run never loads whole papers.
    found: dict[str, str | None] = {}
    for chunk in chunks(ids, _CHUNK):
        query = select(papers.c.id, papers.c.fingerprint).where(_among(conn, papers.c.id, chunk))
        found.update((pid, digest) for pid, digest in conn.execute(query))
    return found


def _dedupe(batch: Sequence[Paper]) -> dict[str, Paper]:
    out: dict[str, Paper] = {}
    for paper in batch:
        out[paper.id] = merge_paper(out[paper.id], paper) if paper.id in out else paper
    return out


def merge_paper(old: Paper, new: Paper) -> Paper:
    """Combine a stored paper with incoming data; an older version never overwrites a newer."""
    newer = _is_newer_or_same(old, new)

    def pick(a: object, b: object) -> object:
        return b if (newer and b) or not a else a

    vers = _merge_versions(old.versions, new.versions)
    fields = ("title", "abstract", "authors", "categories", "comments", "journal_ref", "doi")
    picked = {f: pick(getattr(old, f), getattr(new, f)) for f in fields + ("license", "updated")}
    version = max((v for v in (old.version, new.version) if v is not None), default=None)
    links = tuple(dict.fromkeys(old.code_links + new.code_links)) if newer else old.code_links
    return replace(
        old,
        **picked,  # type: ignore[arg-type]
        version=version,
        versions=vers,
        published=_earliest(old.published, new.published),
        code_links=links or new.code_links,
        listing_date=_earliest(old.listing_date, new.listing_date),
        withdrawn=new.withdrawn if newer else old.withdrawn,
        signals=new.signals or old.signals,
    )


def _is_newer_or_same(old: Paper, new: Paper) -> bool:
    if new.source == "page" and old.source != "page":
        return False  # a copied page has no version and less text: it only fills gaps
    if old.version is not None and new.version is not None:
        return new.version >= old.version
    if old.updated and new.updated:
        return new.updated > old.updated  # strict, so re-running older inputs changes nothing
    return old.version is None


def _earliest(a: _When | None, b: _When | None) -> _When | None:
    return min(a, b) if a and b else a or b


def _merge_versions(a: tuple[Version, ...], b: tuple[Version, ...]) -> tuple[Version, ...]:
    byno: dict[int, Version] = {v.number: v for v in a}
    for v in b:
        if v.number not in byno or (v.created and not byno[v.number].created):
            byno[v.number] = v
    return tuple(byno[n] for n in sorted(byno))


def _insert(
    conn: Connection, batch: Sequence[Paper], now: datetime, prints: dict[str, str]
) -> None:
    if not batch:
        return
    rows = [_paper_row(p, now, p.first_seen or now, prints[p.id]) for p in batch]
    _write_rows(conn, papers, rows)
    for table, rows in _child_rows(batch).items():
        if rows:
            _write_rows(conn, table, rows)


def _update(conn: Connection, batch: Sequence[Paper], now: datetime) -> None:
    if not batch:
        return
    ids = [p.id for p in batch]
    for table in _CHILDREN:
        for chunk in chunks(ids, _CHUNK):
            conn.execute(delete(table).where(_among(conn, table.c.paper_id, chunk)))
    names = _COLUMNS[papers]
    rows = [dict(zip(names, _paper_row(p, now, now, fingerprint(p)), strict=True)) for p in batch]
    for row in rows:
        row["_id"] = row.pop("id")
        # First sight and the admin's hide/feature flags are not the source's to change.
        del row["first_seen"], row["hidden"], row["featured"], row["listed_at"]
    conn.execute(update(papers).where(papers.c.id == bindparam("_id")), rows)
    for table, child_rows in _child_rows(batch).items():
        if child_rows:
            _write_rows(conn, table, child_rows)


def _paper_row(p: Paper, now: datetime, first_seen: datetime, digest: str) -> Row:
    return (
        p.id,
        p.version,
        p.title,
        _fold(p.title),
        p.abstract,
        p.published,
        p.updated,
        p.comments,
        p.journal_ref,
        p.doi,
        p.license,
        p.source,
        first_seen,
        p.listing_date,
        p.withdrawn,
        False,
        False,
        now,
        digest,
        now if p.listing_date else None,
    )


def _child_rows(batch: Sequence[Paper]) -> dict[Table, list[Row]]:
    rows: dict[Table, list[Row]] = {t: [] for t in _CHILDREN}
    for p in batch:
        pid = p.id
        rows[versions] += [(pid, v.number, v.created) for v in p.versions]
        rows[paper_authors] += [(pid, i, a, author_key(a)) for i, a in enumerate(p.authors)]
        rows[paper_categories] += [(pid, c, i) for i, c in enumerate(dict.fromkeys(p.categories))]
        rows[code_links] += [(pid, i, u) for i, u in enumerate(p.code_links)]
        if s := p.signals:
            rows[signals].append((pid, s.upvotes, s.submitted_by, s.github_repo, s.github_stars))
    return rows


def _write_rows(conn: Connection, table: Table, rows: list[Row]) -> None:
    """Bulk-insert tuples (in `_COLUMNS` order) without per-row SQL compilation."""
    if conn.dialect.name == "postgresql":
        _copy_rows(conn, table, rows)
        return
    sql, converters = _insert_plan(conn.dialect, table)
    if converters:
        rows = [_convert(row, converters) for row in rows]
    conn.exec_driver_sql(sql, rows)


def _copy_rows(conn: Connection, table: Table, rows: list[Row]) -> None:
    # COPY is PostgreSQL's bulk path, several times faster than multi-row INSERTs.
    quote = conn.dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in _COLUMNS[table])
    cursor = conn.connection.cursor()
    try:
        with cursor.copy(f"COPY {quote(table.name)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


Converter = Callable[[Any], Any]
_ISO_FORMATS = (  # SQLAlchemy's default SQLite DATETIME and DATE storage formats
    "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d",
    "%(year)04d-%(month)02d-%(day)02d",
)


@cache
def _insert_plan(dialect: Dialect, table: Table) -> tuple[str, tuple[tuple[int, Converter], ...]]:
    """The INSERT for a table and the type conversions SQLAlchemy would apply to each column."""
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    quote = dialect.identifier_preparer.quote
    names = _COLUMNS[table]
    columns = ", ".join(quote(name) for name in names)
    sql = f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({', '.join(mark for _ in names)})"
    impls = [table.c[name].type.dialect_impl(dialect) for name in names]
    procs = [_faster(impl, impl.bind_processor(dialect)) for impl in impls]
    return sql, tuple((i, proc) for i, proc in enumerate(procs) if proc is not None)


def _faster(impl: Any, proc: Converter | None) -> Converter | None:
    """SQLite's default date/time text formats via isoformat (same text, a fraction of the cost)."""
    if proc is None or getattr(impl, "_storage_format", None) not in _ISO_FORMATS:
        return proc
    if impl._storage_format == _ISO_FORMATS[0]:

        def datetime_text(value: Any) -> Any:
            if type(value) is datetime and value.tzinfo is None:
                return value.isoformat(" ", "microseconds")
            return proc(value)

        return datetime_text

    def date_text(value: Any) -> Any:
        return value.isoformat() if type(value) is date else proc(value)

    return date_text


def _convert(row: Row, converters: tuple[tuple[int, Converter], ...]) -> Row:
    values = list(row)
    for i, proc in converters:
        values[i] = proc(values[i])
    return tuple(values)


def author_key(name: str) -> str:
    """The key an author is looked up by: TeX accents decoded (Erd\\H{o}s is Erdős), Latin
    letters case- and accent-insensitive with ł, ø, ß transliterated (Łukasz Søren Işık İnce is
    "lukasz soren isik ince"), other scripts' letters kept, NFKC and case-folded (张伟 and 章伟,
    both Zhang Wei in pinyin, are two authors; Мария is мария), the parts of a Chinese,
    Japanese or Korean name written together (山田 太郎 is 山田太郎, 김 민수 is 김민수; Kim Minsu
    stays another author). A key's key is itself."""
    if name.isascii() and not _LATEX.search(name):
        return " ".join(_WORD.findall(name.lower()))
    # The same names recur across an ingest's papers; a long one (a URL's) is not kept.
    return _remembered_key(name) if len(name) <= _REMEMBERED else _script_key(name)


_REMEMBERED = 200


@lru_cache(maxsize=16_384)
def _remembered_key(name: str) -> str:
    return _script_key(name)


def _script_key(name: str) -> str:
    text = key_folded(decode_name(_CONTROL_WORD.sub(" ", tex_accents(name))))
    # 山田 太郎, 山田太郎 and 山田・太郎: one author; 김 민수 and 김민수 too
    return name_parts_joined(" ".join(KEY_WORD.findall(text)))


def _fold(text: str) -> str:
    # normalise_title's result for plain ASCII without LaTeX, at a fraction of its cost.
    if text.isascii() and not _LATEX.search(text) and (words := _WORD.findall(text.lower())):
        return " ".join(words)
    return normalise_title(text)


def _among(conn: Connection, column: ColumnElement[str], ids: Sequence[str]) -> ColumnElement[bool]:
    """`column IN ids`, the ids bound now."""
    return _in_ids(column, conn.dialect.name, ids)


def _in_ids(
    column: ColumnElement[str], dialect: str, ids: Sequence[str] | None = None
) -> ColumnElement[bool]:
    """`column IN :ids` (without `ids`, given when the statement runs)."""
    return in_list(column, dialect, "ids", ids)


def get_papers(conn: Connection, ids: Sequence[str], brief: bool = False) -> dict[str, Paper]:
    """Load papers by id, with their authors, categories, versions, links and signals
    (`brief`: authors and categories only, what a ranker reads; a third of the queries)."""
    out: dict[str, Paper] = {}
    children = _BRIEF if brief else _CHILDREN
    for chunk in chunks(list(ids), _CHUNK):
        out.update(_load_chunk(conn, chunk, children))
    return out


def change_stamps(conn: Connection, ids: Sequence[str]) -> dict[str, datetime]:
    """Each stored paper's `changed_at` (what a cached copy is kept under)."""
    out: dict[str, datetime] = {}
    for chunk in chunks(list(ids), _CHUNK):
        query = select(papers.c.id, papers.c.changed_at).where(_among(conn, papers.c.id, chunk))
        out.update({r.id: r.changed_at for r in conn.execute(query)})
    return out


def get_paper(conn: Connection, paper_id: str) -> Paper | None:
    """Load one paper by its versionless id."""
    return get_papers(conn, [paper_id]).get(paper_id)


def _load_chunk(
    conn: Connection, ids: Sequence[str], children: tuple[Table, ...] = _CHILDREN
) -> dict[str, Paper]:
    rows = conn.execute(_by_ids(papers, conn.dialect.name), {"ids": list(ids)}).mappings().all()
    if not rows:
        return {}
    found = [r["id"] for r in rows]
    kids = {t: _group(conn, t, found) if t in children else {} for t in _CHILDREN}
    return {r["id"]: _paper_from_row(r, kids) for r in rows}


def _group(conn: Connection, table: Table, ids: Sequence[str]) -> dict[str, list[SqlRow[Any]]]:
    grouped: dict[str, list[SqlRow[Any]]] = {}
    rows = conn.execute(_by_ids(table, conn.dialect.name), {"ids": list(ids)})
    for row in rows.all():  # all() at once: row by row costs double
        grouped.setdefault(row.paper_id, []).append(row)
    return grouped


@cache
def _by_ids(table: Table, dialect: str) -> Select[Any]:
    """`SELECT * FROM table WHERE id IN :ids` (a paper's rows in their order), built once: for
    the 20 papers of a page, building the statement cost as much as running it."""
    query = select(table).where(
        _in_ids(table.c.id if table is papers else table.c.paper_id, dialect)
    )
    if table is papers:
        return query
    order = [table.c.paper_id] + ([table.c.position] if "position" in table.c else [])
    if table is versions:
        order = [versions.c.paper_id, versions.c.version]
    return query.order_by(*order)


def _paper_from_row(r: RowMapping, kids: dict[Table, dict[str, list[SqlRow[Any]]]]) -> Paper:
    pid = r["id"]
    sig = kids[signals].get(pid)
    return Paper(
        id=pid,
        title=r["title"],
        abstract=r["abstract"],
        authors=tuple(a.name for a in kids[paper_authors].get(pid, [])),
        categories=tuple(c.category for c in kids[paper_categories].get(pid, [])),
        version=r["version"],
        versions=tuple(Version(v.version, v.created) for v in kids[versions].get(pid, [])),
        published=r["published"],
        updated=r["updated"],
        comments=r["comments"],
        journal_ref=r["journal_ref"],
        doi=r["doi"],
        license=r["license"],
        code_links=tuple(c.url for c in kids[code_links].get(pid, [])),
        source=r["source"],
        listing_date=r["listing_date"],
        withdrawn=bool(r["withdrawn"]),
        signals=Signals(
            sig[0].upvotes, sig[0].submitted_by, sig[0].github_repo, sig[0].github_stars
        )
        if sig
        else None,
        first_seen=r["first_seen"],
    )


def mark_withdrawn(conn: Connection, ids: Sequence[str]) -> int:
    """Flag stored papers as withdrawn (deleted upstream); returns how many changed."""
    changed = 0
    for chunk in chunks(list(ids), _CHUNK):
        result = conn.execute(
            update(papers)
            .where(_among(conn, papers.c.id, chunk), papers.c.withdrawn.is_(False))
            .values(withdrawn=True, changed_at=utcnow(), fingerprint=None)
        )
        changed += result.rowcount
    return changed


def find_by_title_keys(conn: Connection, keys: Sequence[str]) -> dict[str, str]:
    """Map normalised titles to the id of a stored paper with that title (an empty key, which
    no title has, matches none)."""
    out: dict[str, str] = {}
    for chunk in chunks([k for k in dict.fromkeys(keys) if k], _CHUNK):
        query = select(papers.c.title_key, papers.c.id).where(
            _among(conn, papers.c.title_key, chunk)
        )
        for key, pid in conn.execute(query.order_by(papers.c.id)):
            out.setdefault(key, pid)
    return out
