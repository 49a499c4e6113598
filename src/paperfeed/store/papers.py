"""Reading and writing papers: version-aware, idempotent batch upserts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, select, update

from paperfeed.models import Paper, Signals, Version, normalise_title
from paperfeed.store.tables import (
    code_links,
    paper_authors,
    paper_categories,
    papers,
    signals,
    versions,
)

_CHUNK = 500
_CHILDREN = (versions, paper_authors, paper_categories, code_links, signals)


@dataclass
class UpsertCounts:
    """What one upsert did."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: UpsertCounts) -> None:
        """Accumulate another batch's counts."""
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged


def utcnow() -> datetime:
    """The current UTC time as the naive datetime the store keeps."""
    return datetime.now(UTC).replace(tzinfo=None)


def upsert_papers(conn: Connection, batch: Sequence[Paper]) -> UpsertCounts:
    """Insert new papers and merge newer data into stored ones, in the caller's transaction."""
    incoming = _dedupe(batch)
    existing = get_papers(conn, list(incoming))
    now = utcnow()
    counts = UpsertCounts()
    new = [replace(p, first_seen=now) for pid, p in incoming.items() if pid not in existing]
    changed = []
    for pid, paper in incoming.items():
        if pid in existing:
            merged = merge_paper(existing[pid], paper)
            if merged == existing[pid]:
                counts.unchanged += 1
            else:
                changed.append(merged)
    _insert(conn, new, now)
    _update(conn, changed, now)
    counts.inserted, counts.updated = len(new), len(changed)
    return counts


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


def _earliest(a, b):  # type: ignore[no-untyped-def]
    return min(a, b) if a and b else a or b


def _merge_versions(a: tuple[Version, ...], b: tuple[Version, ...]) -> tuple[Version, ...]:
    byno: dict[int, Version] = {v.number: v for v in a}
    for v in b:
        if v.number not in byno or (v.created and not byno[v.number].created):
            byno[v.number] = v
    return tuple(byno[n] for n in sorted(byno))


def _insert(conn: Connection, batch: Sequence[Paper], now: datetime) -> None:
    if not batch:
        return
    conn.execute(papers.insert(), [_paper_row(p, now, p.first_seen or now) for p in batch])
    for table, rows in _child_rows(batch).items():
        if rows:
            conn.execute(table.insert(), rows)


def _update(conn: Connection, batch: Sequence[Paper], now: datetime) -> None:
    if not batch:
        return
    ids = [p.id for p in batch]
    for table in _CHILDREN:
        for chunk in _chunks(ids):
            conn.execute(delete(table).where(table.c.paper_id.in_(chunk)))
    for p in batch:
        row = _paper_row(p, now, p.first_seen or now)
        del row["id"], row["first_seen"]
        conn.execute(update(papers).where(papers.c.id == p.id).values(**row))
    for table, rows in _child_rows(batch).items():
        if rows:
            conn.execute(table.insert(), rows)


def _paper_row(p: Paper, now: datetime, first_seen: datetime) -> dict[str, object]:
    return {
        "id": p.id,
        "version": p.version,
        "title": p.title,
        "title_key": normalise_title(p.title),
        "abstract": p.abstract,
        "published": p.published,
        "updated": p.updated,
        "comments": p.comments,
        "journal_ref": p.journal_ref,
        "doi": p.doi,
        "license": p.license,
        "source": p.source,
        "first_seen": first_seen,
        "listing_date": p.listing_date,
        "withdrawn": p.withdrawn,
        "hidden": False,
        "featured": False,
        "changed_at": now,
    }


def _child_rows(batch: Sequence[Paper]) -> dict:  # type: ignore[type-arg]
    rows: dict = {t: [] for t in _CHILDREN}  # type: ignore[type-arg]
    for p in batch:
        rows[versions] += [
            {"paper_id": p.id, "version": v.number, "created": v.created} for v in p.versions
        ]
        rows[paper_authors] += [
            {"paper_id": p.id, "position": i, "name": a, "name_key": author_key(a)}
            for i, a in enumerate(p.authors)
        ]
        rows[paper_categories] += [
            {"paper_id": p.id, "category": c, "position": i}
            for i, c in enumerate(dict.fromkeys(p.categories))
        ]
        rows[code_links] += [
            {"paper_id": p.id, "position": i, "url": u} for i, u in enumerate(p.code_links)
        ]
        if p.signals:
            rows[signals].append({"paper_id": p.id, **p.signals.__dict__})
    return rows


def author_key(name: str) -> str:
    """The key an author is looked up by (case- and accent-insensitive)."""
    return normalise_title(name)


def _chunks(ids: Sequence[str], size: int = _CHUNK) -> Iterable[Sequence[str]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def get_papers(conn: Connection, ids: Sequence[str]) -> dict[str, Paper]:
    """Load papers by id, with their authors, categories, versions, links and signals."""
    out: dict[str, Paper] = {}
    for chunk in _chunks(list(ids)):
        out.update(_load_chunk(conn, chunk))
    return out


def get_paper(conn: Connection, paper_id: str) -> Paper | None:
    """Load one paper by its versionless id."""
    return get_papers(conn, [paper_id]).get(paper_id)


def _load_chunk(conn: Connection, ids: Sequence[str]) -> dict[str, Paper]:
    rows = conn.execute(select(papers).where(papers.c.id.in_(ids))).mappings().all()
    if not rows:
        return {}
    found = [r["id"] for r in rows]
    kids = {t: _group(conn, t, found) for t in _CHILDREN}
    return {r["id"]: _paper_from_row(r, kids) for r in rows}


def _group(conn: Connection, table, ids: Sequence[str]) -> dict[str, list]:  # type: ignore[no-untyped-def,type-arg]
    order = [table.c.paper_id] + ([table.c.position] if "position" in table.c else [])
    if table is versions:
        order = [versions.c.paper_id, versions.c.version]
    grouped: dict[str, list] = {}  # type: ignore[type-arg]
    for row in conn.execute(select(table).where(table.c.paper_id.in_(ids)).order_by(*order)):
        grouped.setdefault(row.paper_id, []).append(row)
    return grouped


def _paper_from_row(r, kids) -> Paper:  # type: ignore[no-untyped-def]
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
    for chunk in _chunks(list(ids)):
        result = conn.execute(
            update(papers)
            .where(papers.c.id.in_(chunk), papers.c.withdrawn.is_(False))
            .values(withdrawn=True, changed_at=utcnow())
        )
        changed += result.rowcount
    return changed


def find_by_title_keys(conn: Connection, keys: Sequence[str]) -> dict[str, str]:
    """Map normalised titles to the id of a stored paper with that title."""
    out: dict[str, str] = {}
    for chunk in _chunks(list(keys)):
        query = select(papers.c.title_key, papers.c.id).where(papers.c.title_key.in_(chunk))
        for key, pid in conn.execute(query.order_by(papers.c.id)):
            out.setdefault(key, pid)
    return out
