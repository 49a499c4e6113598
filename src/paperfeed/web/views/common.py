"""A listing's shapes (cards, pages of them, the feed that follows the newest day), paging."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from math import ceil

from markupsafe import Markup
from sqlalchemy import Connection

from paperfeed.models import Paper
from paperfeed.store.accounts import Submission
from paperfeed.store.enrichment import Enrichment
from paperfeed.store.listings import SCAN_MOST, Flags, Hide, Kept, Page, scan

MAX_PAGE = 10_000
_NO_FLAGS = Flags(hidden=False, featured=False)


@dataclass(frozen=True)
class Card:
    """One paper as a listing shows it, with its community signals."""

    paper: Paper
    upvotes: int
    upvoted: bool = False
    submission: Submission | None = None
    flags: Flags = _NO_FLAGS
    score: float | None = None
    snippet: Markup | None = None
    comments: int = 0
    enrichment: Enrichment | None = None


@dataclass(frozen=True)
class Listing:
    """A titled, paged list of cards and where its feeds live."""

    title: str
    cards: list[Card]
    total: int
    page: int
    per_page: int
    page_path: str  # the HTML page, e.g. /trending
    feed_path: str  # e.g. /feeds/daily; the format is appended as .atom, .rss or .bib ("": none)
    feed_query: str = ""
    extra: dict[str, object] = field(default_factory=dict)
    hidden: int = 0  # papers of the whole list the reader's mutes leave out (see `estimated`)
    estimated: bool = False  # `total` estimated (the reader's mutes, a long listing)
    named: frozenset[str] = frozenset()  # papers a search named: mutes never hide them
    feed_title: str = ""  # the feed's name where it is not the page's title

    @property
    def feed_name(self) -> str:
        """What the listing's feed is called (in a feed reader's list of subscriptions)."""
        return self.feed_title or self.title

    @property
    def pages(self) -> int:
        """How many pages the listing has (at least one)."""
        return max(ceil(self.total / self.per_page), 1)

    def feed(self, fmt: str) -> str:
        """The URL of this listing as a feed or BibTeX file."""
        return f"{self.feed_path}.{fmt}{self.feed_query}"


_FOLLOWING = {"date": ("", "Daily papers"), "week": ("?latest=week", "Weekly papers"),
              "month": ("?latest=month", "Monthly papers")}  # fmt: skip


def following_newest(listing: Listing, kind: str = "date") -> Listing:
    """The newest day's (or the week's or month's holding it) listing offering the feed that
    follows the newest day on: that feed's name has no date, which would go stale in a
    reader's list of subscriptions; a category filter's feed names its categories, so that
    two such feeds are told apart there."""
    query, title = _FOLLOWING[kind]
    within = listing.extra.get("within") or ()
    named = f"{title} · {', '.join(within)}" if isinstance(within, tuple) and within else title
    return replace(listing, feed_query=query, feed_title=named)


class PageOutOfRange(ValueError):
    """The requested page lies beyond the listing's end."""


def _listing(
    title: str,
    shown: list[Card],
    result: Kept,
    page: int,
    per_page: int,
    page_path: str,
    feed_path: str,
) -> Listing:
    hidden, estimated = result.hidden, not result.exact
    return Listing(
        title, shown, result.total, page, per_page, page_path, feed_path, "", {}, hidden, estimated
    )


def _slicer(ids: list[str]) -> Callable[[int, int], Page]:
    return lambda offset, limit: Page(ids[offset : offset + limit], len(ids))


def reader_page(
    conn: Connection,
    fetch: Callable[[int, int], Page],
    hide: Hide | None,
    page: int,
    per_page: int,
) -> Kept:
    """A page of a listing (`fetch(offset, limit)`) with the papers `hide` names left out
    before paging, so a reader's pages stay full. Past `SCAN_MOST` papers, the plain page
    (the caller's cards are then filtered one by one)."""
    offset = offset_of(page, per_page)
    if hide is None or offset + per_page > SCAN_MOST:
        plain = fetch(offset, per_page)
        return Kept(plain.ids, plain.total, 0)
    return scan(fetch, lambda ids: hide(conn, ids), offset, per_page)


def offset_of(page: int, per_page: int) -> int:
    """The row offset of a 1-based page."""
    return (page - 1) * per_page


def check_page(page: int, total: int, per_page: int) -> None:
    """PageOutOfRange when a page past the first lies beyond a list of `total`."""
    if page > 1 and offset_of(page, per_page) >= total:
        last = max(ceil(total / per_page), 1)
        raise PageOutOfRange(f"page {page} is past the end; the last page is {last}")
