"""Atom, RSS and BibTeX for every listing (daily, trending, category, author, search)."""

from __future__ import annotations

import gzip
import hashlib
import html
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from paperfeed import categories
from paperfeed.arxiv_ids import looks_like_arxiv_id, parse_arxiv_id
from paperfeed.latex import plain
from paperfeed.markup import absolute_links, maths_as_text, render_markdown
from paperfeed.models import LOCAL_PREFIX, Paper, clean_text
from paperfeed.search.query import filter_notes, paper_id_in, parse_query
from paperfeed.store import get_paper
from paperfeed.store.listings import latest_day, paper_flags
from paperfeed.text import xml_safe
from paperfeed.util import Lru
from paperfeed.web import bibtex, views
from paperfeed.web.cache import Cached
from paperfeed.web.deps import Site, SiteDep, cache_key, search_cache_key
from paperfeed.web.periods import (
    CATEGORY,
    DAY,
    DAY_RUN,
    MONTH,
    WEEK,
    DailyCategory,
    OptionalDay,
    Period,
    check_period_params,
    month_period,
    period_from_query,
    week_period,
)
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
_SERIALISE = threading.Lock()
FEED_MAX_AGE = 300  # seconds a reader or proxy may keep a feed without asking again
_GZIP_TAG = "-gzip"  # what a gzipped body's ETag adds to the plain body's
_GZIPPED: Lru[str, bytes] = Lru(32)  # gzipped feed bodies by ETag: a poll costs no compression
# Last-Modified: per feed address, its body's ETag and when this process first served that body
# there; a body the feed had before and now has again is dated anew.
_CHANGED: Lru[str, tuple[str, datetime]] = Lru(4096)


def _when(paper: Paper) -> datetime:
    day = paper.updated or paper.published or paper.first_seen
    if day is None:
        day = datetime.combine(paper.listing_date or date(1991, 8, 1), time.min)
    return _utc(day)


def _utc(moment: datetime) -> datetime:
    """The store's naive times are UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _generator(
    listing: views.Listing,
    fmt: str,
    base_url: str,
    why: Mapping[str, str] | None = None,
    added: Mapping[str, datetime] | None = None,
    token: str = "",
    notes: Mapping[str, str] | None = None,
    sections: Mapping[str, str] | None = None,
    revised: Mapping[str, datetime] | None = None,
) -> FeedGenerator:
    """The listing's page as a feedgen feed, links and entries for `fmt` (atom or rss);
    `why`: a line per paper put before its abstract (a personal feed's reasons); `added`: when
    each paper was put in the collection listed (what dates its entry, and the feed); `token`:
    the feed token its self and paging links carry (a private instance's); `notes`: Markdown
    said of a paper by the collection listed, in its entry's content before the abstract;
    `sections`: the heading each paper is under in that collection, an entry's category;
    `revised`: when a paper's new version, newer than its place in the collection, was read in
    (an update of its entry, whatever date arXiv gave the version)."""
    papers, added, notes = [c.paper for c in listing.cards], added or {}, notes or {}
    revised = revised or {}
    feed = FeedGenerator()
    feed.register_extension("link_rels", BaseExtension, _AtomLinkRels, atom=True, rss=False)
    feed.generator("paperfeed")
    feed.id(_xml_text(base_url + feed_url(listing, "atom", listing.page)))
    # A feed's first page is what readers subscribe to: its name holds no count that changes.
    named_part = _part(listing) if listing.page > 1 else ""
    feed.title(_xml_text(f"{listing.feed_name}{named_part} · paperfeed"))
    feed.description(_described(f"{listing.title}{_part(listing)} on paperfeed", fmt))
    if fmt == "rss":  # RSS's <author> must be an email address: names go in dc:creator
        feed.load_extension("dc", atom=False, rss=True)
    elif not all(p.authors for p in papers):  # Atom needs an author for an entry without
        feed.author(name="paperfeed")  # one (a paper from a web page may name none)
    stamps = [_entry_updated(p, added.get(p.id), revised.get(p.id)) for p in papers]
    feed.updated(max(stamps, default=_empty_since(listing)))
    _links(feed, listing, fmt, base_url, token)
    for paper in papers:
        when = added.get(paper.id), revised.get(paper.id)
        _entry(feed, paper, base_url, fmt, (why or {}).get(paper.id), *when)
        if notes.get(paper.id):
            feed.entry()[-1].content(_noted(notes[paper.id], paper, base_url), type="html")
        if (sections or {}).get(paper.id):
            heading = _xml_text((sections or {})[paper.id])
            scheme = _xml_text(base_url + listing.page_path + "#sections")
            feed.entry()[-1].category(term=heading, label=heading, scheme=scheme)
    return feed


def _noted(note: str, paper: Paper, base_url: str) -> str:
    """An entry's content: a collection's note on the paper (Markdown, sanitised as on its page,
    links absolute, maths as text) and the paper's abstract, as HTML."""
    shown = maths_as_text(absolute_links(render_markdown(note), base_url))
    abstract = html.escape(_xml_text(plain(paper.abstract)), quote=False)
    return _xml_text(f'<div class="note">{shown}</div><p>{abstract}</p>')


def _links(
    feed: FeedGenerator, listing: views.Listing, fmt: str, base_url: str, token: str
) -> None:
    here = feed_url(listing, fmt, listing.page, token)
    feed.link(href=_xml_text(base_url + here), rel="self")
    paging = [
        (rel, _xml_text(base_url + feed_url(listing, fmt, n, token)))
        for rel, n in _neighbours(listing)
    ]
    if fmt == "rss":
        feed.register_extension("paging", _RssPaging, atom=False, rss=True)
        feed.paging.links = paging
    for rel, href in paging:
        feed.link(href=href, rel=rel)
    feed.link(href=_xml_text(base_url + listing.page_path), rel="alternate")  # last: RSS's link


def _empty_since(listing: views.Listing) -> datetime:
    """An empty feed's date: its period's first day (an empty day's is that day)."""
    period = listing.extra.get("period")
    day = period.start if isinstance(period, Period) else date(1991, 8, 1)  # arXiv's opening
    return datetime.combine(day, time.min, UTC)


def _entry_updated(
    paper: Paper, added: datetime | None, revised: datetime | None = None
) -> datetime:
    """A paper's last change, or when it was put in the collection listed, or when its new
    version was read in, whichever is latest."""
    return max([_when(paper), *(_utc(t) for t in (added, revised) if t is not None)])


def _entry(
    feed: FeedGenerator,
    paper: Paper,
    base_url: str,
    fmt: str,
    why: str | None = None,
    added: datetime | None = None,
    revised: datetime | None = None,
) -> None:
    url = _xml_text(base_url + paper_url(paper.id))
    entry = feed.add_entry(order="append")
    entry.guid(url, permalink=True)  # the Atom id too
    title = _xml_text(plain(paper.title)) or paper.id  # feedgen refuses an empty title
    entry.title(f"[Withdrawn] {title}" if paper.withdrawn else title)
    entry.updated(_entry_updated(paper, added, revised))
    if added is not None:  # it appeared in this feed when it was put in the collection
        entry.published(_utc(added))
    elif fmt == "rss":  # Atom's <published> would claim a first-version date this is not
        entry.pubDate(_when(paper))
    _entry_link(entry, url, "alternate")
    if paper.abs_url:
        _entry_link(entry, _xml_text(paper.abs_url), "related")
    for name in paper.authors:
        entry.author(name=_xml_text(name))
        if fmt == "rss":
            entry.dc.dc_creator(_xml_text(name))
    for category in paper.categories:
        entry.category(term=_xml_text(category))
    summary = plain(paper.abstract)
    if paper.withdrawn:  # its page says so above the abstract; a feed reader sees only this
        summary = f"This paper has been withdrawn.\n\n{summary}"
    if why:  # a reason may quote a title of the reader's, LaTeX and all
        summary = f"Why: {plain(why)}\n\n{summary}"
    entry.summary(_described(summary, fmt), type="text")


def _entry_link(entry: FeedEntry, href: str, rel: str) -> None:
    entry.link(href=href, rel=rel)
    entry.link_rels.rels.append(rel)


class _AtomLinkRels(BaseEntryExtension):  # type: ignore[misc]  # feedgen has no type hints
    """Writes back the rel of an Atom entry's links, which feedgen 1.0 drops
    (lkiesow/python-feedgen issue 135): an arXiv link would otherwise read as a second alternate."""

    def __init__(self) -> None:
        self.rels: list[str] = []

    def extend_atom(self, entry: Any) -> Any:
        for link, rel in zip(entry.findall("link"), self.rels, strict=False):  # tests check all
            link.set("rel", rel)
        return entry


class _RssPaging(BaseExtension):  # type: ignore[misc]  # feedgen has no type hints
    """RFC 5005 paging links inside RSS, as Atom links: feedgen writes only rel=self there."""

    def __init__(self) -> None:
        self.links: list[tuple[str, str]] = []

    def extend_rss(self, rss: Any) -> Any:
        channel = rss.find("channel")
        for rel, href in self.links:
            xml_elem(f"{{{ATOM}}}link", channel, href=href, rel=rel)
        return rss


def serialise(feed: FeedGenerator, fmt: str) -> str:
    """A feedgen feed as Atom or RSS text."""
    # feedgen switches the process-wide locale to "C" while it writes RSS dates and then back;
    # two threads doing so at once can leave it switched, so feeds are written one at a time.
    with _SERIALISE:
        body: bytes = feed.atom_str() if fmt == "atom" else feed.rss_str()
    return body.decode()


def feed_url(listing: views.Listing, fmt: str, page: int, token: str = "") -> str:
    """The URL of one page of a listing's feed (page 1 has no page parameter), with the
    private instance's feed `token` when it was read with one."""
    url = listing.feed(fmt)
    extra = ([f"page={page}"] if page > 1 else []) + ([f"token={quote(token)}"] if token else [])
    return (url + ("&" if "?" in url else "?") + "&".join(extra)) if extra else url


def reader_token(request: Request, site: Site) -> str:
    """The feed token a private instance's feed was read with (`?token=`), which its links to
    itself must carry: a feed reader following them has no session. Empty elsewhere."""
    return request.query_params.get("token", "") if site.settings.private else ""


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


def _described(text: str, fmt: str) -> str:
    """Text for a description: Atom's is marked as text; RSS's is HTML, where `<O, x>` in an
    abstract would vanish as an unknown tag, so it is escaped (and paragraphs kept)."""
    if fmt != "rss":
        return _xml_text(text)
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    return "".join(f"<p>{html.escape(_xml_text(p), quote=False)}</p>" for p in paragraphs)


def _xml_text(text: str) -> str:
    # XML 1.0 forbids control characters, surrogates, U+FFFE and U+FFFF, which do turn up in
    # scraped metadata (and in stores filled before ingest cleaned them): one makes a feed invalid.
    return xml_safe(text)


def render_listing(
    listing: views.Listing,
    fmt: str,
    base_url: str,
    why: Mapping[str, str] | None = None,
    added: Mapping[str, datetime] | None = None,
    token: str = "",
    notes: Mapping[str, str] | None = None,
    sections: Mapping[str, str] | None = None,
    revised: Mapping[str, datetime] | None = None,
) -> str:
    """A listing in one of the feed formats (`why`, `added`, `token`, `notes`, `sections`,
    `revised`: as `_generator`'s)."""
    if fmt in ("atom", "rss"):
        made = _generator(listing, fmt, base_url, why, added, token, notes, sections, revised)
        return serialise(made, fmt)
    body = bibtex.entries([c.paper for c in listing.cards])
    more = [
        f"% {rel} part: {base_url}{feed_url(listing, 'bib', n, token)}\n"
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
    # Not the pages' key: the site middleware would answer those itself, without validators.
    key = ("feed", *key_of(request, site))
    hit = site.cache.get(key)
    if hit is None:
        token = reader_token(request, site)  # in the key too: the cache key holds the query
        hit = Cached(
            render_listing(build(), fmt, site.settings.public_url, token=token), MEDIA[fmt]
        )
        site.cache.put(key, hit)
    return feed_response(request, hit.body, hit.media_type)


def feed_response(request: Request, body: str, media_type: str, private: bool = False) -> Response:
    """A feed with validators (a strong ETag, Last-Modified) and caching advice (`private`:
    for one reader only), 304 when the reader has it already, gzipped when it may be."""
    data = body.encode()
    tag = hashlib.sha256(data).hexdigest()[:32]
    modified = _last_modified(_address(request), tag)
    gzipped = _accepts_gzip(request.headers.get("accept-encoding", ""))
    headers = {
        "ETag": f'"{tag}{_GZIP_TAG if gzipped else ""}"',  # another coding, another tag
        "Last-Modified": format_datetime(modified, usegmt=True),
        "Cache-Control": f"{'private' if private else 'public'}, max-age={FEED_MAX_AGE}",
        "Vary": "Accept-Encoding",
    }
    if _unchanged(request, tag, modified):
        return Response(status_code=304, headers=headers)
    if gzipped:
        data = _GZIPPED.get_or_build(tag, lambda: gzip.compress(data, compresslevel=6, mtime=0))
        headers["Content-Encoding"] = "gzip"
    return Response(data, media_type=media_type, headers=headers)


def _address(request: Request) -> str:
    """The path and query a feed was asked at (what its Last-Modified is kept under)."""
    query: bytes = request.scope.get("query_string", b"")
    return f"{request.scope.get('path', '')}?{query.decode('latin-1')}"


def _last_modified(url: str, tag: str) -> datetime:
    """When the feed at `url` changed to the body tagged `tag` (as far as this process saw)."""
    held = _CHANGED.get(url)
    if held is not None and held[0] == tag:
        return held[1]
    now = datetime.now(UTC).replace(microsecond=0)
    if held is not None and now <= held[1]:  # changed within the second the old body was dated:
        now = held[1] + timedelta(seconds=1)  # dated later, or If-Modified-Since keeps the old
    _CHANGED.put(url, (tag, now))
    return now


def _unchanged(request: Request, tag: str, modified: datetime) -> bool:
    """Whether the reader's copy is this one: If-None-Match (weakly compared, any coding), or
    else If-Modified-Since (RFC 9110, 13.1.3)."""
    if "if-none-match" in request.headers:
        held = [
            t.strip().removeprefix("W/").strip('"')
            for t in request.headers["if-none-match"].split(",")
        ]
        return any(t == "*" or t.removesuffix(_GZIP_TAG) == tag for t in held)
    try:
        since = parsedate_to_datetime(request.headers.get("if-modified-since", ""))
    except (TypeError, ValueError):  # absent or not a date: as if not sent
        return False
    return since.tzinfo is not None and modified <= since


def _accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header allows gzip (by name or by `*`, with q above 0)."""
    weights = dict(_coding_weight(part) for part in accept_encoding.lower().split(","))
    named = weights.get("gzip", weights.get("x-gzip"))
    return (weights.get("*", 0.0) if named is None else named) > 0


def _coding_weight(part: str) -> tuple[str, float]:
    """("gzip", 0.5) from "gzip;q=0.5": 1 without a q, 0 for a q that is no number."""
    coding, _, params = part.partition(";")
    q = params.strip()
    try:
        return coding.strip(), float(q[2:]) if q.startswith("q=") else 1.0
    except ValueError:
        return coding.strip(), 0.0


@router.get("/feeds/daily.{fmt}", summary="Daily papers feed (latest day, or date/week/month/days)")
def daily_feed(
    request: Request,
    site: SiteDep,
    fmt: str,
    day: Annotated[str | None, DAY.query("YYYY-MM-DD", fmt="date", alias="date")] = None,
    week: Annotated[str | None, WEEK.query("ISO week, YYYY-Www")] = None,
    month: Annotated[str | None, MONTH.query("YYYY-MM")] = None,
    latest: Annotated[
        Literal["week", "month"] | None,
        Query(description="the week or month holding the newest day, moving on with it"),
    ] = None,
    page: FeedPage = 1,
    category: DailyCategory = None,
    days: Annotated[
        str | None, DAY_RUN.query("a run of days, first..last: YYYY-MM-DD..YYYY-MM-DD")
    ] = None,
) -> Response:
    """The papers of the latest day (all of them), of the week or month holding it
    (`latest`), or of the given day, week, month or run of days (`category`: only those in
    these categories, as the day pages' filter)."""
    check_period_params(day, week, month, days)
    within = views.daily_categories(category or [])
    if latest and (day or week or month or days):
        raise HTTPException(400, "give latest alone, or a date, week, month or days")

    def build() -> views.Listing:
        with site.engine.connect() as conn:
            newest = latest_day(conn)
            period = period_from_query(day, week, month, newest, days)
            if latest and newest is not None:
                period = (week_period if latest == "week" else month_period)(newest)
            if period is None:
                return views.Listing("Daily papers", [], 0, 1, DAY_FEED_SIZE, "/", "/feeds/daily")
            listing = views.daily(conn, period, page, DAY_FEED_SIZE, None, within=within)
        if not (
            day or week or month or days
        ):  # the feed that follows the latest day says so itself
            moving = views.following_newest(listing, period.kind)
            lead = "&" if moving.feed_query else "?"
            return replace(
                moving, feed_query=moving.feed_query + views.category_query(within, lead)
            )
        return listing

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
    known = categories.canonical(category) or categories.archive(category)
    if known and known != category:  # cs.cv is cs.CV, as /categories/cs.cv is
        where = f"/feeds/category/{known}.{fmt}" + (
            f"?{request.url.query}" if request.url.query else ""
        )
        return RedirectResponse(where, status_code=301)  # ?token= too: a reader has no session

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
    category: Annotated[
        str | None,
        CATEGORY.query(
            "an arXiv category, like cs.CL, or an archive, like cs (all of its); several "
            "comma-separated (cs.CL,cs.LG) keep papers in any of them; any case; empty: any",
            max_length=64,
        ),
    ] = None,
    author: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[OptionalDay, Query(description="listed on or after (YYYY-MM-DD)")] = None,
    until: Annotated[OptionalDay, Query(description="listed on or before (YYYY-MM-DD)")] = None,
    page: FeedPage = 1,
) -> Response:
    """Papers matching a query, with the search page's filters, as a feed to follow."""
    CATEGORY.check("category", category)  # the shape its schema documents, as the API's
    cat, who = clean_text(category), clean_text(author)
    cat = categories.spelled(cat)  # cs.cv is cs.CV, as on the page
    refused = filter_notes(cat, since, until, q)
    if parse_query(q).empty and paper_id_in(q) is None:  # "*" would be a feed of everything
        refused.insert(0, f"q: {q.strip()[:40]!r} has no words to search for")
    if refused:  # what the page says of such a search, as an error
        raise HTTPException(400, " ".join(refused))
    params = views.SearchParams(q, mode, cat or None, who or None, since, until, sort="date")
    return _serve(
        request,
        site,
        fmt,
        lambda: views.search(site.search(), site.engine, params, page, FEED_SIZE, None).listing,
        search_cache_key,
    )


def resolve_id(text: str) -> str:
    """A stored paper id from a path: versionless arXiv id, or a local id."""
    if text.startswith(LOCAL_PREFIX):
        return text
    if not looks_like_arxiv_id(text):
        shown = text if len(text) <= 80 else text[:80] + "…"  # never a whole pasted page back
        raise HTTPException(404, f"{shown!r} is not an arXiv id or a paperfeed id")
    return parse_arxiv_id(text)[0]


@router.get(
    "/papers/{paper_id:path}/bibtex",
    summary="BibTeX for one paper",
    response_class=Response,
    responses={200: {"content": {bibtex.MEDIA_TYPE: {"schema": {"type": "string"}}}}},
)
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
