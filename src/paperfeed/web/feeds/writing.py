"""A listing written as an Atom or RSS feed (feedgen) or as a BibTeX file."""

from __future__ import annotations

import html
import threading
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import quote

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from paperfeed.latex import plain
from paperfeed.markup import absolute_links, maths_as_text, render_markdown
from paperfeed.models import Paper
from paperfeed.text import xml_safe
from paperfeed.web import bibtex, views
from paperfeed.web.periods import Period
from paperfeed.web.render import paper_url

ATOM = "http://www.w3.org/2005/Atom"
MEDIA = {
    "atom": "application/atom+xml; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
    "bib": bibtex.MEDIA_TYPE,
}
_SERIALISE = threading.Lock()


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
