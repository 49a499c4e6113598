"""Reading papers: by id (whole or brief), their change stamps, and by title key."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Connection, RowMapping, Select, Table, select
from sqlalchemy import Row as SqlRow

from paperfeed.models import Paper, Signals, Version
from paperfeed.store.sql import in_list
from paperfeed.store.tables import (
    code_links,
    paper_authors,
    paper_categories,
    papers,
    signals,
    versions,
)
from paperfeed.util import chunks

_CHUNK = 500
_CHILDREN = (versions, paper_authors, paper_categories, code_links, signals)
_BRIEF = (paper_authors, paper_categories)


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
