"""Atom, RSS and BibTeX for every listing (daily, trending, category, author, search)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from email.utils import format_datetime
from typing import Annotated
from xml.etree import ElementTree as ET

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from paperfeed.arxiv_ids import looks_like_arxiv_id, parse_arxiv_id
from paperfeed.latex import plain
from paperfeed.models import LOCAL_PREFIX, Paper
from paperfeed.store import get_paper
from paperfeed.store.listings import latest_day, paper_flags
from paperfeed.text import xml_safe
from paperfeed.web import bibtex, views
from paperfeed.web.cache import Cached
from paperfeed.web.deps import Site, SiteDep, cache_key, search_cache_key
from paperfeed.web.periods import period_from_query
from paperfeed.web.render import paper_url

router = APIRouter(tags=["feeds"])
FEED_SIZE = 100
DAY_FEED_SIZE = 1000  # a whole arXiv listing day fits; bigger periods continue on ?page=2
FeedPage = Annotated[
    int,
    Query(ge=1, le=views.MAX_PAGE, description="1-based page; each feed says if there is a next"),
]
ATOM = "http://www.w3.org/2005/Atom"
MEDIA = {
    "atom": "application/atom+xml; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
    "bib": bibtex.MEDIA_TYPE,
}
_CATEGORY_RE = re.compile(r"^[A-Za-z][A-Za-z\-]*(\.[A-Za-z\-]+)?$")


def _when(paper: Paper) -> datetime:
    day = paper.updated or paper.published or paper.first_seen
    if day is None:
        day = datetime.combine(paper.listing_date or date(1991, 8, 1), time.min)
    return day.replace(tzinfo=UTC) if day.tzinfo is None else day


def atom(listing: views.Listing, base_url: str) -> str:
    """The listing as an Atom 1.0 feed."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    papers = [c.paper for c in listing.cards]
    updated = max((_when(p) for p in papers), default=datetime(1991, 8, 1, tzinfo=UTC))
    _sub(feed, "title", f"{listing.title}{_part(listing)} · paperfeed")
    _sub(feed, "id", base_url + feed_url(listing, "atom", listing.page))
    _sub(feed, "updated", updated.isoformat())
    _link(feed, base_url + feed_url(listing, "atom", listing.page), "self")
    _link(feed, base_url + listing.page_path, "alternate")
    for rel, page in _neighbours(listing):
        _link(feed, base_url + feed_url(listing, "atom", page), rel)
    for paper in papers:
        _atom_entry(feed, paper, base_url)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode")


def _atom_entry(feed: ET.Element, paper: Paper, base_url: str) -> None:
    entry = _sub(feed, "entry")
    _sub(entry, "title", plain(paper.title))
    _sub(entry, "id", base_url + paper_url(paper.id))
    _sub(entry, "updated", _when(paper).isoformat())
    _link(entry, base_url + paper_url(paper.id), "alternate")
    if paper.abs_url:
        _link(entry, paper.abs_url, "related")
    for name in paper.authors:
        _sub(_sub(entry, "author"), "name", name)
    for category in paper.categories:
        ET.SubElement(entry, f"{{{ATOM}}}category", term=_xml_text(category))
    _sub(entry, "summary", plain(paper.abstract)).set("type", "text")


def feed_url(listing: views.Listing, fmt: str, page: int) -> str:
    """The URL of one page of a listing's feed (page 1 has no page parameter)."""
    url = listing.feed(fmt)
    if page == 1:
        return url
    return url + ("&" if "?" in url else "?") + f"page={page}"


def _neighbours(listing: views.Listing) -> list[tuple[str, int]]:
    out = [("previous", listing.page - 1)] if listing.page > 1 else []
    return out + ([("next", listing.page + 1)] if listing.page < listing.pages else [])


def _part(listing: views.Listing) -> str:
    """(papers 1–100 of 300)" when the feed holds only part of its listing."""
    if listing.pages == 1:
        return ""
    first = views.offset_of(listing.page, listing.per_page) + 1
    last = first + len(listing.cards) - 1
    return f" (papers {first}–{last} of {listing.total})"


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}")
    element.text = _xml_text(text) if text is not None else None
    return element


def _link(parent: ET.Element, href: str, rel: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}link", href=_xml_text(href), rel=rel)


def _xml_text(text: str) -> str:
    # XML 1.0 forbids control characters, surrogates, U+FFFE and U+FFFF, which do turn up in
    # scraped metadata (and in stores filled before ingest cleaned them): one makes a feed invalid.
    return xml_safe(text)


def rss(listing: views.Listing, base_url: str) -> str:
    """The listing as an RSS 2.0 feed."""
    # Literal "atom:" names: a registered default namespace would claim RSS's own elements.
    root = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM})
    channel = ET.SubElement(root, "channel")
    for tag, text in (
        ("title", f"{listing.title}{_part(listing)} · paperfeed"),
        ("link", base_url + listing.page_path),
        ("description", f"{listing.title}{_part(listing)} on paperfeed"),
    ):
        ET.SubElement(channel, tag).text = _xml_text(text)
    for rel, page in _neighbours(listing):  # RFC 5005 paging, as Atom links inside RSS
        href = base_url + feed_url(listing, "rss", page)
        ET.SubElement(channel, "atom:link", href=href, rel=rel)
    for card in listing.cards:
        _rss_item(channel, card.paper, base_url)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")


def _rss_item(channel: ET.Element, paper: Paper, base_url: str) -> None:
    item = ET.SubElement(channel, "item")
    url = base_url + paper_url(paper.id)
    ET.SubElement(item, "title").text = _xml_text(plain(paper.title))
    ET.SubElement(item, "link").text = _xml_text(url)
    ET.SubElement(item, "guid", isPermaLink="true").text = _xml_text(url)
    ET.SubElement(item, "description").text = _xml_text(plain(paper.abstract))
    ET.SubElement(item, "pubDate").text = format_datetime(_when(paper))
    for category in paper.categories:
        ET.SubElement(item, "category").text = _xml_text(category)


def render_listing(listing: views.Listing, fmt: str, base_url: str) -> str:
    """A listing in one of the feed formats."""
    if fmt == "atom":
        return atom(listing, base_url)
    if fmt == "rss":
        return rss(listing, base_url)
    body = bibtex.entries([c.paper for c in listing.cards])
    more = [
        f"% {rel} part: {base_url}{feed_url(listing, 'bib', n)}\n"
        for rel, n in _neighbours(listing)
    ]
    head = bibtex.header(listing.title + _part(listing), date.today())
    return head + "".join(more) + ("\n" if more else "") + body


def _serve(
    request: Request,
    site: Site,
    fmt: str,
    build: Callable[[], views.Listing],
    key_of: Callable[[Request, Site], tuple[str, ...]] = cache_key,
) -> Response:
    if fmt not in MEDIA:
        raise HTTPException(404, f"unknown feed format {fmt!r}; use atom, rss or bib")
    key = key_of(request, site)
    hit = site.cache.get(key)
    if hit is None:
        hit = Cached(render_listing(build(), fmt, site.settings.public_url), MEDIA[fmt])
        site.cache.put(key, hit)
    return Response(hit.body, media_type=hit.media_type)


@router.get("/feeds/daily.{fmt}", summary="Daily papers feed (latest day, or date/week/month)")
def daily_feed(
    request: Request,
    site: SiteDep,
    fmt: str,
    day: Annotated[str | None, Query(alias="date", description="YYYY-MM-DD")] = None,
    week: Annotated[str | None, Query(description="YYYY-Www")] = None,
    month: Annotated[str | None, Query(description="YYYY-MM")] = None,
    page: FeedPage = 1,
) -> Response:
    """The papers of the latest day (all of them), or of the given day, week or month."""

    def build() -> views.Listing:
        with site.engine.connect() as conn:
            period = period_from_query(day, week, month, latest_day(conn))
            if period is None:
                return views.Listing("Daily papers", [], 0, 1, DAY_FEED_SIZE, "/", "/feeds/daily")
            return views.daily(conn, period, page, DAY_FEED_SIZE, None)

    return _serve(request, site, fmt, build)


@router.get("/feeds/trending.{fmt}", summary="Trending papers feed")
def trending_feed(request: Request, site: SiteDep, fmt: str, page: FeedPage = 1) -> Response:
    """The trending papers."""

    def build() -> views.Listing:
        with site.engine.connect() as conn:
            return views.trending_listing(conn, site.weights, page, FEED_SIZE, None)

    return _serve(request, site, fmt, build)


@router.get("/feeds/category/{category}.{fmt}", summary="A category's newest papers")
def category_feed(
    request: Request, site: SiteDep, category: str, fmt: str, page: FeedPage = 1
) -> Response:
    """A category's newest papers."""
    if not _CATEGORY_RE.match(category):
        raise HTTPException(404, f"{category!r} is not a category name")

    def build() -> views.Listing:
        with site.engine.connect() as conn:
            listing = views.by_category(conn, category, page, FEED_SIZE, None)
        if listing is None:
            raise HTTPException(404, f"no papers in category {category}")
        return listing

    return _serve(request, site, fmt, build)


@router.get("/feeds/author/{slug}.{fmt}", summary="An author's newest papers")
def author_feed(
    request: Request, site: SiteDep, slug: str, fmt: str, page: FeedPage = 1
) -> Response:
    """An author's newest papers."""

    def build() -> views.Listing:
        with site.engine.connect() as conn:
            listing = views.by_author(conn, slug.replace("-", " "), page, FEED_SIZE, None)
        if listing is None:
            raise HTTPException(404, f"no papers by an author {slug!r}")
        return listing

    return _serve(request, site, fmt, build)


@router.get("/feeds/search.{fmt}", summary="A search as a feed (newest matches first)")
def search_feed(
    request: Request,
    site: SiteDep,
    fmt: str,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    mode: Annotated[str, Query(pattern="^(hybrid|keyword|semantic)$")] = "hybrid",
    category: Annotated[str | None, Query(max_length=64)] = None,
    author: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Papers matching a query, as a feed to follow."""
    params = views.SearchParams(q, mode, category or None, author or None, sort="date")
    return _serve(
        request,
        site,
        fmt,
        lambda: views.search(site.search(), site.engine, params, 1, FEED_SIZE, None).listing,
        search_cache_key,
    )


def resolve_id(text: str) -> str:
    """A stored paper id from a path: versionless arXiv id, or a local id."""
    if text.startswith(LOCAL_PREFIX):
        return text
    if not looks_like_arxiv_id(text):
        raise HTTPException(404, f"{text!r} is not an arXiv id or a paperfeed id")
    return parse_arxiv_id(text)[0]


@router.get("/papers/{paper_id:path}/bibtex", summary="BibTeX for one paper")
def paper_bibtex(site: SiteDep, paper_id: str) -> Response:
    """One paper as a BibTeX entry."""
    pid = resolve_id(paper_id)
    with site.engine.connect() as conn:
        paper = get_paper(conn, pid)
        flags = paper_flags(conn, [pid]).get(pid)
    if paper is None or (flags and flags.hidden):
        raise HTTPException(404, f"no paper {pid} here")
    name = re.sub(r"[^A-Za-z0-9.\-]", "_", pid) + ".bib"
    disposition = f'attachment; filename="{name}"'
    return Response(
        bibtex.entry(paper),
        media_type=bibtex.MEDIA_TYPE,
        headers={"Content-Disposition": disposition},
    )
