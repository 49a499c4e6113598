"""Ranked and named lists: trending, GitHub stars, an author's and a category's papers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import partial

from sqlalchemy import Connection

from paperfeed import categories, trending
from paperfeed.store.accounts import User
from paperfeed.store.enrichment import papers_with_repos, stars_gained
from paperfeed.store.listings import (
    Hide,
    author_name,
    latest_day,
    latest_listing_day,
    papers_at_venue,
    papers_by_author,
    papers_in_category,
    trending_rows,
    venue_counts,
)
from paperfeed.util import utcnow
from paperfeed.venues import TRACKS, Venue, from_label
from paperfeed.web.views.assembly import cards
from paperfeed.web.views.common import Card, Listing, _listing, _slicer, check_page, reader_page


def stars_listing(
    conn: Connection,
    today: date,
    page: int,
    per_page: int,
    user: User | None,
    hide: Hide | None = None,
) -> Listing:
    """Papers ranked by the GitHub stars their repository gained in the last seven days."""
    gained = stars_gained(conn, today)
    ranked: list[tuple[int, str]] = []
    for pid, name in papers_with_repos(conn, set(gained)):
        ranked.append((gained[name], pid))
    ranked.sort(key=lambda t: (-t[0], t[1]))
    ids = list(dict.fromkeys(pid for _, pid in ranked))
    result = reader_page(conn, _slicer(ids), hide, page, per_page)
    check_page(page, result.total, per_page)
    shown = [c for c in cards(conn, result.ids, user) if not c.flags.hidden]
    paths = "/trending/stars", "/feeds/trending"
    return _listing("Trending by GitHub stars", shown, result, page, per_page, *paths)


def trending_listing(
    conn: Connection,
    weights: trending.TrendingWeights,
    page: int,
    per_page: int,
    user: User | None,
    hide: Hide | None = None,
) -> Listing:
    """Trending papers ranked by the documented formula in `paperfeed.trending`."""
    # Anchored at the newest listing, so a store that stopped ingesting (or one submission
    # today in a store of older listings) still ranks its last week of papers.
    newest = latest_listing_day(conn) or latest_day(conn)
    ranked: list[trending.Ranked] = []
    if newest is not None:
        new_since = trending.new_accounts_since(utcnow(), weights)
        rows = trending_rows(conn, trending.window_start(newest, weights), new_since)
        ranked = trending.rank(rows, trending.reference_time(newest), weights)
    scores = {r.id: r.score for r in ranked}
    result = reader_page(conn, _slicer(list(scores)), hide, page, per_page)
    check_page(page, result.total, per_page)
    shown = [_with_score(c, scores[c.paper.id]) for c in cards(conn, result.ids, user)]
    return _listing(
        "Trending papers", shown, result, page, per_page, "/trending", "/feeds/trending"
    )


def _with_score(card: Card, score: float) -> Card:
    return replace(card, score=score)


def by_author(
    conn: Connection,
    key: str,
    page: int,
    per_page: int,
    user: User | None,
    hide: Hide | None = None,
) -> Listing | None:
    """An author's papers, newest first (None when no paper has that author)."""
    name = author_name(conn, key)
    if name is None:
        return None
    fetch = partial(papers_by_author, conn, key)
    result = reader_page(conn, fetch, hide, page, per_page)
    check_page(page, result.total, per_page)
    slug = key.replace(" ", "-")
    shown = cards(conn, result.ids, user)
    return _listing(
        name, shown, result, page, per_page, f"/authors/{slug}", f"/feeds/author/{slug}"
    )


def by_category(
    conn: Connection,
    category: str,
    page: int,
    per_page: int,
    user: User | None,
    hide: Hide | None = None,
) -> Listing | None:
    """A category's papers, or an archive's (cond-mat: all of cond-mat.*), newest first (None
    when it has none)."""
    fetch = partial(papers_in_category, conn, categories.members(category))
    result = reader_page(conn, fetch, hide, page, per_page)
    if result.total == 0 and not result.hidden:
        return None
    check_page(page, result.total, per_page)
    shown = cards(conn, result.ids, user)
    paths = f"/categories/{category}", f"/feeds/category/{category}"
    name = categories.name_of(category)
    title = f"{category} · {name}" if name else category
    return _listing(title, shown, result, page, per_page, *paths)


# a venue's page: newest first, most upvoted first, or ranked for the signed-in reader
VENUE_ORDERS = ("newest", "votes", "foryou")


def by_venue(
    conn: Connection,
    venue: Venue,
    order: str,
    page: int,
    per_page: int,
    user: User | None,
    hide: Hide | None = None,
    ranked: Sequence[str] | None = None,
) -> Listing | None:
    """A conference's papers (those whose comment or journal reference names it), newest or
    most upvoted first, or in the order `ranked` gives (a reader's ranking of them); None when
    it has none."""
    fetch = (
        _slicer(list(ranked))
        if ranked is not None
        else partial(papers_at_venue, conn, venue.label, order)
    )
    result = reader_page(conn, fetch, hide, page, per_page)
    if result.total == 0 and not result.hidden:
        return None
    check_page(page, result.total, per_page)
    shown = cards(conn, result.ids, user)
    paths = f"/venues/{venue.slug}", f"/feeds/venue/{venue.slug}"
    listing = _listing(venue.label, shown, result, page, per_page, *paths)
    if ranked is not None:  # a reader's order: the feeds stay the conference's newest
        return listing
    return replace(listing, feed_query="?sort=votes" if order == "votes" else "")


@dataclass(frozen=True)
class VenueYear:
    """One year's conferences on the conferences page, most papers first."""

    year: int
    venues: list[tuple[Venue, int, list[tuple[Venue, int]]]]  # main, its papers, other tracks


def venue_index(conn: Connection) -> list[VenueYear]:
    """Every venue papers here name, by year (newest first); within a year each conference by
    its papers (main track and the others together), with its workshops and findings beside."""
    tracks: dict[tuple[str, int], dict[str, int]] = {}
    for label, count in venue_counts(conn).items():
        venue = from_label(label)
        if venue is not None:
            tracks.setdefault((venue.name, venue.year), {})[venue.track] = count
    years: dict[int, list[tuple[Venue, int, list[tuple[Venue, int]]]]] = {}
    for (name, year), held in tracks.items():
        others = [(Venue(name, year, t), held[t]) for t in TRACKS if t in held]
        years.setdefault(year, []).append((Venue(name, year), held.get("", 0), others))
    return [
        VenueYear(year, sorted(rows, key=lambda r: (-(r[1] + sum(n for _, n in r[2])), r[0].name)))
        for year, rows in sorted(years.items(), reverse=True)
    ]
