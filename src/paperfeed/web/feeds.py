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
from paperfeed.models import LOCAL_PREFIX, Paper
from paperfeed.store import get_paper
from paperfeed.store.listings import latest_day, paper_flags
from paperfeed.web import bibtex, views
from paperfeed.web.cache import Cached
from paperfeed.web.deps import ConnDep, Site, SiteDep, cache_key
from paperfeed.web.periods import period_from_query
from paperfeed.web.render import paper_url

router = APIRouter(tags=["feeds"])
FEED_SIZE = 100
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
    _sub(feed, "title", f"{listing.title} · paperfeed")
    _sub(feed, "id", base_url + listing.feed("atom"))
    _sub(feed, "updated", updated.isoformat())
    _link(feed, base_url + listing.feed("atom"), "self")
    _link(feed, base_url + listing.page_path, "alternate")
    for paper in papers:
        _atom_entry(feed, paper, base_url)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode")


def _atom_entry(feed: ET.Element, paper: Paper, base_url: str) -> None:
    entry = _sub(feed, "entry")
    _sub(entry, "title", paper.title)
    _sub(entry, "id", base_url + paper_url(paper.id))
    _sub(entry, "updated", _when(paper).isoformat())
    _link(entry, base_url + paper_url(paper.id), "alternate")
    if paper.abs_url:
        _link(entry, paper.abs_url, "related")
    for name in paper.authors:
        _sub(_sub(entry, "author"), "name", name)
    for category in paper.categories:
        ET.SubElement(entry, f"{{{ATOM}}}category", term=category)
    _sub(entry, "summary", paper.abstract).set("type", "text")


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}")
    element.text = _xml_text(text) if text is not None else None
    return element


def _link(parent: ET.Element, href: str, rel: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}link", href=href, rel=rel)


def _xml_text(text: str) -> str:
    # XML 1.0 forbids most control characters, which do turn up in scraped metadata.
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", text)


def rss(listing: views.Listing, base_url: str) -> str:
    """The listing as an RSS 2.0 feed."""
    root = ET.Element("rss", version="2.0")
    channel = ET.SubElement(root, "channel")
    for tag, text in (
        ("title", f"{listing.title} · paperfeed"),
        ("link", base_url + listing.page_path),
        ("description", f"{listing.title} on paperfeed"),
    ):
        ET.SubElement(channel, tag).text = _xml_text(text)
    for card in listing.cards:
        _rss_item(channel, card.paper, base_url)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")


def _rss_item(channel: ET.Element, paper: Paper, base_url: str) -> None:
    item = ET.SubElement(channel, "item")
    url = base_url + paper_url(paper.id)
    ET.SubElement(item, "title").text = _xml_text(paper.title)
    ET.SubElement(item, "link").text = url
    ET.SubElement(item, "guid", isPermaLink="true").text = url
    ET.SubElement(item, "description").text = _xml_text(paper.abstract)
    ET.SubElement(item, "pubDate").text = format_datetime(_when(paper))
    for category in paper.categories:
        ET.SubElement(item, "category").text = category


def render_listing(listing: views.Listing, fmt: str, base_url: str) -> str:
    """A listing in one of the feed formats."""
    if fmt == "atom":
        return atom(listing, base_url)
    if fmt == "rss":
        return rss(listing, base_url)
    body = bibtex.entries([c.paper for c in listing.cards])
    return bibtex.header(listing.title, date.today()) + body


def _serve(request: Request, site: Site, fmt: str, build: Callable[[], views.Listing]) -> Response:
    if fmt not in MEDIA:
        raise HTTPException(404, f"unknown feed format {fmt!r}; use atom, rss or bib")
    key = cache_key(request, site)
    hit = site.cache.get(key)
    if hit is None:
        hit = Cached(render_listing(build(), fmt, site.settings.public_url), MEDIA[fmt])
        site.cache.put(key, hit)
    return Response(hit.body, media_type=hit.media_type)


@router.get("/feeds/daily.{fmt}", summary="Daily papers feed (latest day, or date/week/month)")
def daily_feed(
    request: Request,
    site: SiteDep,
    conn: ConnDep,
    fmt: str,
    day: Annotated[str | None, Query(alias="date", description="YYYY-MM-DD")] = None,
    week: Annotated[str | None, Query(description="YYYY-Www")] = None,
    month: Annotated[str | None, Query(description="YYYY-MM")] = None,
) -> Response:
    """The papers of the latest day, or of the given day, week or month."""

    def build() -> views.Listing:
        period = period_from_query(day, week, month, latest_day(conn))
        if period is None:
            return views.Listing("Daily papers", [], 0, 1, FEED_SIZE, "/", "/feeds/daily")
        return views.daily(conn, period, 1, FEED_SIZE, None)

    return _serve(request, site, fmt, build)


@router.get("/feeds/trending.{fmt}", summary="Trending papers feed")
def trending_feed(request: Request, site: SiteDep, conn: ConnDep, fmt: str) -> Response:
    """The trending papers."""
    return _serve(
        request,
        site,
        fmt,
        lambda: views.trending_listing(conn, site.weights, 1, FEED_SIZE, None),
    )


@router.get("/feeds/category/{category}.{fmt}", summary="A category's newest papers")
def category_feed(
    request: Request, site: SiteDep, conn: ConnDep, category: str, fmt: str
) -> Response:
    """A category's newest papers."""
    if not _CATEGORY_RE.match(category):
        raise HTTPException(404, f"{category!r} is not a category name")

    def build() -> views.Listing:
        listing = views.by_category(conn, category, 1, FEED_SIZE, None)
        if listing is None:
            raise HTTPException(404, f"no papers in category {category}")
        return listing

    return _serve(request, site, fmt, build)


@router.get("/feeds/author/{slug}.{fmt}", summary="An author's newest papers")
def author_feed(request: Request, site: SiteDep, conn: ConnDep, slug: str, fmt: str) -> Response:
    """An author's newest papers."""

    def build() -> views.Listing:
        listing = views.by_author(conn, slug.replace("-", " "), 1, FEED_SIZE, None)
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
    )


def resolve_id(text: str) -> str:
    """A stored paper id from a path: versionless arXiv id, or a local id."""
    if text.startswith(LOCAL_PREFIX):
        return text
    if not looks_like_arxiv_id(text):
        raise HTTPException(404, f"{text!r} is not an arXiv id or a paperfeed id")
    return parse_arxiv_id(text)[0]


@router.get("/papers/{paper_id:path}/bibtex", summary="BibTeX for one paper")
def paper_bibtex(conn: ConnDep, paper_id: str) -> Response:
    """One paper as a BibTeX entry."""
    pid = resolve_id(paper_id)
    paper = get_paper(conn, pid)
    flags = paper_flags(conn, [pid]).get(pid)
    if paper is None or (flags and flags.hidden):
        raise HTTPException(404, f"no paper {pid} here")
    return Response(bibtex.entry(paper), media_type=bibtex.MEDIA_TYPE)
