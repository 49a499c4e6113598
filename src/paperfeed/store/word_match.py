"""A plain match of words in stored titles and abstracts, over a bounded number of the newest
papers: what search answers from while its keyword index is built from scratch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, exists, func, not_, or_, select, tuple_

from paperfeed.store.tables import paper_authors, paper_categories, papers


@dataclass(frozen=True)
class WordMatch:
    """A stored paper holding the words, and what a result list shows of it."""

    id: str
    title: str
    abstract: str
    day: date | None


@dataclass(frozen=True)
class Within:
    """Which papers a word match reads: the newest `scan` changed after `after`, filtered."""

    scan: int
    after: tuple[datetime, str] | None = None
    since: date | None = None
    until: date | None = None
    categories: tuple[str, ...] = ()  # listed in any of these
    author: str | None = None


def newest_matching(
    conn: Connection,
    needles: Sequence[str],
    unwanted: Sequence[str],
    within: Within,
    limit: int,
    either: Sequence[Sequence[Sequence[str]]] = (),
) -> list[WordMatch]:
    """Shown papers whose title or abstract holds every needle, all the texts of one
    alternative of each `either` group ("GAN OR diffusion": either word) and no unwanted text
    (any case), among those `within` reads; newest first, at most `limit`."""
    newest = select(papers.c.id).where(~papers.c.hidden)
    if within.after is not None:  # the first condition lets the changed_at index narrow it
        newest = newest.where(
            papers.c.changed_at >= within.after[0],
            tuple_(papers.c.changed_at, papers.c.id) > within.after,
        )
    scanned = newest.order_by(papers.c.changed_at.desc()).limit(within.scan).subquery()
    day = func.coalesce(papers.c.listing_date, func.date(papers.c.published))
    query = select(papers.c.id, papers.c.title, papers.c.abstract, papers.c.listing_date)
    query = query.add_columns(papers.c.published).join(scanned, scanned.c.id == papers.c.id)
    query = query.where(*(_holds(n) for n in needles), *(not_(_holds(u)) for u in unwanted))
    query = query.where(*(_one_of(group) for group in either if group))
    query = query.where(*_filters(within, day))
    rows = conn.execute(query.order_by(papers.c.changed_at.desc()).limit(limit)).all()
    return [_match(r) for r in rows]


def _pattern(text: str) -> str:
    """`text` anywhere, its LIKE wildcards taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _holds(text: str) -> ColumnElement[bool]:
    pattern = _pattern(text)
    return or_(
        papers.c.title.ilike(pattern, escape="\\"),
        func.coalesce(papers.c.abstract, "").ilike(pattern, escape="\\"),
    )


def _one_of(group: Sequence[Sequence[str]]) -> ColumnElement[bool]:
    """Title or abstract holding every text of one of these alternatives."""
    return or_(*(and_(*(_holds(text) for text in alternative)) for alternative in group))


def _filters(within: Within, day: ColumnElement[date]) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if within.since is not None:
        out.append(day >= within.since)
    if within.until is not None:
        out.append(day <= within.until)
    if within.categories:
        cats = paper_categories.c
        held = cats.category.in_(within.categories)
        out.append(exists().where(cats.paper_id == papers.c.id, held))
    if within.author:
        names = paper_authors.c
        out.append(
            exists().where(
                names.paper_id == papers.c.id,
                names.name.ilike(_pattern(within.author), escape="\\"),
            )
        )
    return out


def shown_papers(conn: Connection, ids: Sequence[str]) -> dict[str, WordMatch]:
    """These papers as a result list shows them, by id: those stored and not hidden."""
    query = select(
        papers.c.id, papers.c.title, papers.c.abstract, papers.c.listing_date, papers.c.published
    ).where(~papers.c.hidden)
    return {r.id: _match(r) for r in conn.execute(query.where(papers.c.id.in_(list(ids))))}


def _match(r: Any) -> WordMatch:
    day = r.listing_date or (r.published.date() if r.published else None)
    return WordMatch(r.id, r.title, r.abstract or "", day)
