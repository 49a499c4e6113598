"""Writing papers: version-aware, idempotent batch upserts, and withdrawals."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime

import orjson
from sqlalchemy import Connection, Table, bindparam, delete, select, update

from paperfeed.models import Paper
from paperfeed.store.clock import store_now
from paperfeed.store.papers.bulk_insert import _COLUMNS, Row, _write_rows
from paperfeed.store.papers.keys import _fold, author_key
from paperfeed.store.papers.loading import _CHILDREN, _CHUNK, _among, get_papers
from paperfeed.store.papers.merge import merge_paper
from paperfeed.store.tables import (
    code_links,
    paper_authors,
    paper_categories,
    papers,
    signals,
    versions,
)
from paperfeed.util import chunks, utcnow
from paperfeed.venues import said_on, stored_venue

_COMPARED = tuple(f.name for f in fields(Paper) if f.compare)


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
        stored_venue(p.journal_ref, p.comments, said_on(p.published, p.updated, p.listing_date)),
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
