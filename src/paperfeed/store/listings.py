"""Queries behind the site's listings: days, authors, categories, trending candidates, flags."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    String,
    Subquery,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)

from paperfeed.models import TrendingRow
from paperfeed.store.accounts import bump_revision, counted_vote, site_state, users, votes
from paperfeed.store.tables import code_links, paper_authors, paper_categories, papers, signals
from paperfeed.util import utcnow
from paperfeed.venues import Venue, meant


@dataclass(frozen=True)
class Page:
    """One page of paper ids in display order, and how many there are in all."""

    ids: list[str]
    total: int


Hide = Callable[[Connection, Sequence[str]], set[str]]
"""Which of these papers a reader's mutes hide (read through the given connection)."""
SCAN_MOST = 3_000  # how far into a listing pages are formed without the hidden papers
COUNT_ALL = 1_000  # a listing this long is read to its end, so its count is exact


@dataclass(frozen=True)
class Kept:
    """One page of a listing with a reader's hidden papers left out.

    `total` is how many the reader's listing holds: exact when its end was read (`exact`),
    otherwise estimated from the share left in so far. `hidden` is how many of the whole
    listing the reader's mutes leave out (the same on every page; exact or estimated alike).
    """

    ids: list[str]
    total: int
    hidden: int
    exact: bool = True


def kept_window(
    ordered: Sequence[str], hidden: set[str], offset: int, limit: int, total: int
) -> Kept:
    """The page at `offset` of `ordered` without the `hidden` ids (`total`: all of the listing,
    of which `ordered` is the start)."""
    shown: list[str] = []
    kept = 0
    for pid in ordered:
        if pid in hidden:
            continue
        if kept >= offset:
            shown.append(pid)
        kept += 1
        if kept == offset + limit:
            break
    read = len(ordered)
    left = read - sum(pid in hidden for pid in ordered)
    exact = read >= total
    if not exact:  # the rest of the listing, at the share seen so far
        left += round((total - read) * left / read) if read else total
    left = max(left, offset + len(shown))
    return Kept(shown, left, max(total - left, 0), exact)


def scan(
    fetch: Callable[[int, int], Page],
    hide: Callable[[Sequence[str]], set[str]],
    offset: int,
    limit: int,
) -> Kept:
    """Read a listing from its start until the page at `offset` can be filled with papers
    `hide` leaves in: in growing chunks, to the end when it is no longer than `COUNT_ALL`
    (its count is then exact), never past `SCAN_MOST`."""
    ids: list[str] = []
    hidden: set[str] = set()
    chunk, total = max(2 * (offset + limit), 50), 0
    while True:
        page = fetch(len(ids), chunk)
        total = page.total
        ids += page.ids
        hidden |= hide(page.ids)
        if len(page.ids) < chunk or len(ids) >= min(total, SCAN_MOST):
            break
        if total <= COUNT_ALL:
            chunk = total - len(ids)
        elif len(ids) - len(hidden) >= offset + limit:
            break
        else:
            chunk *= 2
    return kept_window(ids, hidden, offset, limit, total)


@dataclass(frozen=True)
class Flags:
    """Moderation state of one paper."""

    hidden: bool
    featured: bool


def _vote_counts() -> Subquery:
    counted = select(votes.c.paper_id, func.count().label("n")).where(counted_vote())
    return counted.group_by(votes.c.paper_id).subquery()


def _upvotes_expr(vote_sub: Subquery) -> ColumnElement[int]:
    return func.coalesce(signals.c.upvotes, 0) + func.coalesce(vote_sub.c.n, 0)


def _day_expr() -> ColumnElement[date]:
    # Papers fetched through the API have no listing date; their publication day stands in.
    return func.coalesce(papers.c.listing_date, func.date(papers.c.published))


def _page(
    conn: Connection, where: ColumnElement[bool], order: str, offset: int, limit: int
) -> Page:
    vsub = _vote_counts()
    base = (
        select(papers.c.id)
        .outerjoin(signals, signals.c.paper_id == papers.c.id)
        .outerjoin(vsub, vsub.c.paper_id == papers.c.id)
        .where(where, papers.c.hidden.is_(False))
    )
    total = conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    if order == "votes":
        keys = [papers.c.featured.desc(), _upvotes_expr(vsub).desc(), papers.c.id]
    else:
        keys = [_day_expr().desc(), papers.c.id.desc()]
    ids = list(conn.scalars(base.order_by(*keys).offset(offset).limit(limit)))
    return Page(ids, int(total))


def _in_days(start: date, end: date, within: Sequence[str] = ()) -> ColumnElement[bool]:
    # A paper's day is its arXiv day: a submission credits it but never moves it to another day.
    # `within`: only papers in one of these categories, primary or cross-listed (as category
    # pages list them); none: every category.
    days = papers.c.listing_date.between(start, end)
    return and_(days, _in_categories(within)) if within else days


def _in_categories(within: Sequence[str]) -> ColumnElement[bool]:
    # EXISTS, by the (paper, category) key: a day's papers are looked up, not all of cs.CV's
    held = paper_categories.c.paper_id == papers.c.id
    return exists().where(held, paper_categories.c.category.in_(within))


def papers_between(
    conn: Connection,
    start: date,
    end: date,
    offset: int,
    limit: int,
    newest: bool = False,
    within: Sequence[str] = (),
    since: datetime | None = None,
) -> Page:
    """Papers listed in [start, end] (in one of the categories `within`, where given; put on
    their day after `since`, where given), featured then most upvoted first (or newest
    first)."""
    where = _in_days(start, end, within)
    where = where if since is None else and_(where, papers.c.listed_at > since)
    return _page(conn, where, "newest" if newest else "votes", offset, limit)


def count_listed_since(
    conn: Connection, start: date, end: date, since: datetime, within: Sequence[str] = ()
) -> int:
    """How many visible papers of [start, end] (in `within`, where given) were put on their
    day after `since`: those `papers_between(since=since)` lists."""
    new = and_(_in_days(start, end, within), papers.c.listed_at > since)
    query = select(func.count()).select_from(papers).where(new, papers.c.hidden.is_(False))
    return int(conn.execute(query).scalar_one())


def categories_between(conn: Connection, start: date, end: date) -> list[tuple[str, int]]:
    """The categories of the visible papers listed in [start, end], primary or cross-listed,
    with how many papers each holds (what `papers_between(within=[c])` counts), most first."""
    count = func.count().label("n")
    listed = select(papers.c.id).where(_in_days(start, end), papers.c.hidden.is_(False))
    query = (
        select(paper_categories.c.category, count)
        .where(paper_categories.c.paper_id.in_(listed))
        .group_by(paper_categories.c.category)
        .order_by(count.desc(), paper_categories.c.category)
    )
    return [(str(r.category), int(r.n)) for r in conn.execute(query)]


def newest_after(
    conn: Connection,
    start: date,
    end: date,
    after: tuple[date, str] | None,
    limit: int,
    within: Sequence[str] = (),
) -> list[tuple[date, str]]:
    """The (day, id) of up to `limit` papers listed in [start, end] (in `within`, where given)
    that come after `after` in the newest-first order of `papers_between`: a keyset page,
    which a paper upvoted or added mid-walk cannot shift."""
    day = papers.c.listing_date
    where = _in_days(start, end, within)
    query = select(day, papers.c.id).where(where, papers.c.hidden.is_(False))
    if after is not None:
        query = query.where(or_(day < after[0], and_(day == after[0], papers.c.id < after[1])))
    rows = conn.execute(query.order_by(day.desc(), papers.c.id.desc()).limit(limit))
    return [(_as_date(d) or start, pid) for d, pid in rows]


def newest_listed(conn: Connection, limit: int) -> list[str]:
    """The ids of the `limit` most recently listed visible papers (by the listing-date index)."""
    query = (
        select(papers.c.id)
        .where(papers.c.listing_date.is_not(None), papers.c.hidden.is_(False))
        .order_by(papers.c.listing_date.desc(), papers.c.id.desc())
        .limit(limit)
    )
    return list(conn.scalars(query))


def papers_by_author(conn: Connection, key: str, offset: int, limit: int) -> Page:
    """An author's papers (by name key), newest first."""
    ids = select(paper_authors.c.paper_id).where(paper_authors.c.name_key == key)
    return _page(conn, papers.c.id.in_(ids), "newest", offset, limit)


def papers_in_category(conn: Connection, names: Sequence[str], offset: int, limit: int) -> Page:
    """The papers in any of these categories (primary or cross-listed), newest first."""
    ids = select(paper_categories.c.paper_id).where(paper_categories.c.category.in_(names))
    return _page(conn, papers.c.id.in_(ids), "newest", offset, limit)


def papers_at_venue(conn: Connection, label: str, order: str, offset: int, limit: int) -> Page:
    """The papers whose comment or journal reference names this venue ("ICML 2026"), newest
    first or (`order` "votes") most upvoted first."""
    return _page(conn, papers.c.venue == label, order, offset, limit)


def venue_paper_ids(conn: Connection, label: str) -> frozenset[str]:
    """The papers shown (not hidden) whose comment or journal reference names this venue: what
    a search within the conference looks among (read from the venue's index alone)."""
    query = select(papers.c.id).where(papers.c.venue == label, papers.c.hidden.is_(False))
    return frozenset(str(pid) for pid in conn.scalars(query))


def venue_counts(conn: Connection, labels: Sequence[str] | None = None) -> dict[str, int]:
    """Each venue's label (of `labels`; None: every one) and its papers shown (not hidden)."""
    n = func.count()
    held = papers.c.venue.is_not(None) if labels is None else papers.c.venue.in_(labels)
    query = (
        select(papers.c.venue, n).where(held, papers.c.hidden.is_(False)).group_by(papers.c.venue)
    )
    return {str(label): int(count) for label, count in conn.execute(query)}


def venues_meant(conn: Connection, typed: str) -> list[Venue]:
    """The conferences papers here name that text naming none (or one no paper names) most
    likely meant ("ICML": the newest ICML first; `venues.meant`), from each one's count."""
    return meant(typed, venue_counts(conn))


def author_name(conn: Connection, key: str) -> str | None:
    """The most common spelling of an author's name, by name key."""
    count = func.count()
    query = (
        select(paper_authors.c.name, count)
        .where(paper_authors.c.name_key == key)
        .group_by(paper_authors.c.name)
        .order_by(count.desc(), paper_authors.c.name)
        .limit(1)
    )
    row = conn.execute(query).first()
    return row[0] if row else None


def has_papers(conn: Connection) -> bool:
    """True when the store holds at least one paper."""
    return conn.execute(select(papers.c.id).limit(1)).first() is not None


def latest_day(conn: Connection) -> date | None:
    """The newest day that has papers listed on it."""
    return latest_listing_day(conn)


def latest_listing_day(conn: Connection) -> date | None:
    """The newest arXiv listing day in the store (submissions left out)."""
    return _as_date(conn.execute(select(func.max(papers.c.listing_date))).scalar())


def first_listing_day(conn: Connection) -> date | None:
    """The oldest arXiv listing day in the store (an indexed min: no scan)."""
    return _as_date(conn.execute(select(func.min(papers.c.listing_date))).scalar())


def listing_day_near(conn: Connection, day: date) -> date | None:
    """The listing day on or before `day` (arXiv announces nothing at weekends), else the
    first one; None in an empty store."""
    listed = papers.c.listing_date
    before = conn.execute(select(func.max(listed)).where(listed <= day)).scalar()
    return _as_date(before) or first_listing_day(conn)


def neighbour_days(
    conn: Connection, start: date, end: date, within: Sequence[str] = ()
) -> tuple[date | None, date | None]:
    """The nearest days with papers (visible ones in one of the categories `within`, where
    given) before `start` and after `end`."""
    day = papers.c.listing_date
    if within:
        return _nearest(conn, day < start, within, True), _nearest(conn, day > end, within)
    # max/min queries on the indexed column: no scan even at millions of papers.
    before = conn.execute(select(func.max(day)).where(day < start)).scalar()
    after = conn.execute(select(func.min(day)).where(day > end)).scalar()
    return _as_date(before), _as_date(after)


def last_day_within(
    conn: Connection, start: date, end: date, within: Sequence[str] = ()
) -> date | None:
    """The latest day with papers (visible ones in `within`, where given) from `start` to
    `end` (an indexed max: no scan)."""
    day = papers.c.listing_date
    if within:
        return _nearest(conn, day.between(start, end), within, True)
    return _as_date(conn.execute(select(func.max(day)).where(day >= start, day <= end)).scalar())


_FEW = 500  # papers in all: a category this small is read through its own index


def _nearest(
    conn: Connection, side: ColumnElement[bool], within: Sequence[str], latest: bool = False
) -> date | None:
    """The first (or the latest) day of `side` holding a visible paper in `within`."""
    day = papers.c.listing_date
    visible = papers.c.hidden.is_(False)
    named = paper_categories.c.category.in_(within)
    few = select(paper_categories.c.paper_id).where(named).limit(_FEW).subquery()
    if conn.execute(select(func.count()).select_from(few)).scalar_one() < _FEW:
        # a rare category's papers, from its index (a walk of the days would read them all)
        held = paper_categories.join(papers, papers.c.id == paper_categories.c.paper_id)
        found = (func.max if latest else func.min)(day)
        return _as_date(
            conn.execute(select(found).select_from(held).where(named, side, visible)).scalar()
        )
    # a common one: the listing_date index walked outwards from the period, each paper's
    # categories looked up by their (paper, category) key, stopping at the first one held
    query = select(day).where(side, _in_categories(within), visible)
    return _as_date(conn.execute(query.order_by(day.desc() if latest else day).limit(1)).scalar())


def _as_date(value: object) -> date | None:
    # SQLite hands back the union's dates as text.
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _trending_votes(new_since: datetime | None) -> Subquery:
    """Per paper, its counted site votes (n) and those by accounts made after `new_since`."""
    new = users.c.created_at > new_since if new_since is not None else literal(False)
    fresh = func.sum(case((new, 1), else_=0)).label("new")
    query = select(votes.c.paper_id, func.count().label("n"), fresh)
    voted = query.join(users, users.c.id == votes.c.user_id).where(counted_vote())
    return voted.group_by(votes.c.paper_id).subquery()


def trending_rows(
    conn: Connection, since: date, new_since: datetime | None = None
) -> list[TrendingRow]:
    """Candidates for trending: papers listed on or after `since` (their arXiv day), neither
    hidden nor withdrawn, with how many of their upvotes are by accounts made after `new_since`."""
    vsub = _trending_votes(new_since)
    coded = select(code_links.c.paper_id).distinct()
    query = (
        select(
            papers.c.id,
            papers.c.listing_date.label("day"),
            _upvotes_expr(vsub).label("upvotes"),
            signals.c.github_stars,
            papers.c.id.in_(coded).label("has_code"),
            papers.c.featured,
            func.coalesce(vsub.c.new, 0).label("new_upvotes"),
        )
        .outerjoin(signals, signals.c.paper_id == papers.c.id)
        .outerjoin(vsub, vsub.c.paper_id == papers.c.id)
        .where(_in_days(since, date.max), papers.c.hidden.is_(False))
        .where(papers.c.withdrawn.is_(False))
    )
    return [_trending_row(r) for r in conn.execute(query)]


def _trending_row(r: Row[Any]) -> TrendingRow:
    day = _as_date(r.day) or date.min
    flags = bool(r.has_code), bool(r.featured)
    return TrendingRow(r.id, day, int(r.upvotes), r.github_stars, *flags, int(r.new_upvotes))


def paper_flags(conn: Connection, ids: Sequence[str]) -> dict[str, Flags]:
    """Hidden/featured state of the given papers."""
    if not ids:
        return {}
    query = select(papers.c.id, papers.c.hidden, papers.c.featured).where(
        papers.c.id.in_(list(ids))
    )
    return {r.id: Flags(bool(r.hidden), bool(r.featured)) for r in conn.execute(query)}


def set_flags(conn: Connection, paper_id: str, hidden: bool, featured: bool) -> bool:
    """Hide/unhide or feature/unfeature a paper; False when there is no such paper."""
    query = update(papers).where(papers.c.id == paper_id)
    changed = conn.execute(query.values(hidden=hidden, featured=featured, changed_at=utcnow()))
    if changed.rowcount:
        bump_revision(conn)
    return changed.rowcount > 0


_REVISION = select(site_state.c.value).where(site_state.c.key == "revision").scalar_subquery()
_LAST_CHANGE = select(cast(func.max(papers.c.changed_at), String)).scalar_subquery()
_DATA_VERSION = select(_REVISION, _LAST_CHANGE)  # built once: this runs on every page view


def data_version(conn: Connection) -> str:
    """A string that changes whenever anything a page shows may have changed."""
    rev, last = conn.execute(_DATA_VERSION).one()
    return f"{rev}:{last or '-'}"


def top_categories(conn: Connection, since: date, limit: int = 16) -> list[tuple[str, int]]:
    """The most common categories of the papers listed since a day, primary or cross-listed
    (as category pages count them), with their counts, most first: what a new reader is
    offered to follow (cs.LG is mostly a cross-list)."""
    count = func.count().label("n")
    recent = select(papers.c.id).where(papers.c.listing_date >= since)  # by the date index:
    query = (  # a join made SQLite walk every paper's categories (208 ms at 75 k, now 19)
        select(paper_categories.c.category, count)
        .where(paper_categories.c.paper_id.in_(recent))
        .group_by(paper_categories.c.category)
        .order_by(count.desc(), paper_categories.c.category)
        .limit(limit)
    )
    return [(str(r.category), int(r.n)) for r in conn.execute(query)]
