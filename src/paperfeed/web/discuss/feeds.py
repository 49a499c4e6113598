"""The newest comments: the Recent discussions page and the discussions' Atom and RSS feeds."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from feedgen.feed import FeedGenerator

from paperfeed.latex import plain
from paperfeed.markup import absolute_links, maths_as_text, plain_text
from paperfeed.store import get_paper
from paperfeed.store.community import Comment, recent_comments, thread
from paperfeed.text import xml_safe
from paperfeed.web import discussion
from paperfeed.web.deps import Site, SiteDep, UserDep, html
from paperfeed.web.discuss.common import _authored, _titles, paper_or_404
from paperfeed.web.feeds import MEDIA, feed_response, reader_token, serialise
from paperfeed.web.views import PageOutOfRange

router = APIRouter(include_in_schema=False)


@router.get("/discussions")
def recent_page(
    request: Request, site: SiteDep, user: UserDep, page: Annotated[int, Query(ge=1, le=1000)] = 1
) -> Response:
    """The newest comments across all papers."""
    per_page = 30
    with site.engine.connect() as conn:
        items = recent_comments(conn, per_page + 1, (page - 1) * per_page)
        titles = _titles(conn, {c.paper_id for c in items})
        authored = _authored(conn, {c.paper_id for c in items})
    if page > 1 and not items:
        raise PageOutOfRange(f"page {page} is past the oldest comment; page 1 has the newest")
    views = [(c, discussion.listed_html(c), titles.get(c.paper_id, c.paper_id)) for c in items]
    body = site.render(
        "discussions.html",
        user=user,
        items=views[:per_page],
        authored=authored,
        page=page,
        more=len(items) > per_page,
    )
    return html(site, request, body)


FEED_COMMENTS = 50  # comments a discussion feed (a paper's, the site-wide one) holds


@router.get("/feeds/papers/{paper_id:path}/comments.{fmt}")
def discussion_feed(request: Request, site: SiteDep, paper_id: str, fmt: str) -> Response:
    """A paper's discussion as an Atom or RSS feed."""
    if fmt not in ("atom", "rss"):
        raise HTTPException(404, "feeds come as .atom or .rss")
    pid = paper_or_404(site, paper_id)
    with site.engine.connect() as conn:
        paper = get_paper(conn, pid)
        items = _newest([c for c in thread(conn, pid) if not c.deleted])
    base = site.settings.public_url.rstrip("/")
    feed = _comment_feed(fmt)
    feed.id(f"{base}/papers/{pid}#discussion")
    feed.title(xml_safe(f"Discussion: {plain(paper.title) if paper else pid} · paperfeed"))
    self_link = f"{base}/feeds/papers/{pid}/comments.{fmt}"
    feed.link(href=self_link + _token_query(request, site), rel="self")
    feed.link(href=f"{base}/papers/{pid}#discussion", rel="alternate")  # last: RSS's <link>
    feed.description(xml_safe(f"Comments on {pid}"))
    for c in items:
        _comment_entry(feed, c, base, f"{c.username}: {plain_text(c.body)[:80]}", fmt)
    if items:  # as new as its newest comment or edit (not the moment of asking: its ETag holds)
        feed.updated(max((c.edited_at or c.created_at) for c in items).replace(tzinfo=UTC))
    else:  # no comment yet: the feed is as old as the paper's page
        when = paper.published if paper and paper.published else None
        listed = paper.listing_date if paper else None
        since = when or (datetime.combine(listed, time.min) if listed else datetime(1991, 8, 1))
        feed.updated(since.replace(tzinfo=UTC))
    return feed_response(request, serialise(feed, fmt), MEDIA[fmt])


def _token_query(request: Request, site: Site) -> str:
    """`?token=…` for a feed's self link on a private instance, where its reader has no session."""
    token = reader_token(request, site)
    return f"?token={quote(token)}" if token else ""


def _newest(items: list[Comment]) -> list[Comment]:
    """The FEED_COMMENTS comments last written or edited, oldest first (a popular paper's
    whole discussion took a second to render, at each poll of each reader)."""
    newest = sorted(items, key=lambda c: (c.edited_at or c.created_at, c.id))[-FEED_COMMENTS:]
    return sorted(newest, key=lambda c: c.id)


def _comment_feed(fmt: str) -> FeedGenerator:
    """An empty feed of comments; RSS's <author> must be an email: names go in dc:creator."""
    feed = FeedGenerator()
    if fmt == "rss":
        feed.load_extension("dc", atom=False, rss=True)
    return feed


def _comment_entry(feed: FeedGenerator, c: Comment, base: str, title: str, fmt: str) -> None:
    """One comment as a feed entry, its id and link the comment's place on its paper's page."""
    entry = feed.add_entry(order="append")
    entry.id(f"{base}/papers/{c.paper_id}#c{c.id}")
    entry.title(xml_safe(title))
    entry.link(href=f"{base}/papers/{c.paper_id}#c{c.id}")
    entry.author(name=xml_safe(c.username))
    if fmt == "rss":
        entry.dc.dc_creator(xml_safe(c.username))
    # As on the page, links whole and maths as text (feed readers run no KaTeX).
    shown = maths_as_text(absolute_links(discussion.body_html(c), base))
    entry.content(xml_safe(str(shown)), type="html")
    entry.published(c.created_at.replace(tzinfo=UTC))
    entry.updated((c.edited_at or c.created_at).replace(tzinfo=UTC))


@router.get("/feeds/discussions.{fmt}")
def recent_feed(request: Request, site: SiteDep, fmt: str) -> Response:
    """The newest comments across all papers (the Recent discussions page) as Atom or RSS."""
    if fmt not in ("atom", "rss"):
        raise HTTPException(404, "feeds come as .atom or .rss")
    with site.engine.connect() as conn:
        items = recent_comments(conn, FEED_COMMENTS)
        titles = _titles(conn, {c.paper_id for c in items})
    base = site.settings.public_url.rstrip("/")
    feed = _comment_feed(fmt)
    feed.id(f"{base}/discussions")
    feed.title("Recent discussions · paperfeed")
    feed.link(href=f"{base}/feeds/discussions.{fmt}{_token_query(request, site)}", rel="self")
    feed.link(href=f"{base}/discussions", rel="alternate")  # last: RSS's <link>
    feed.description("The newest comments on papers")
    for c in items:
        on = plain(titles.get(c.paper_id, c.paper_id))
        title = f"{c.username} on {on}: {plain_text(c.body)[:80]}"
        _comment_entry(feed, c, base, title, fmt)
    newest = max((c.edited_at or c.created_at for c in items), default=datetime(1991, 8, 1))
    feed.updated(newest.replace(tzinfo=UTC))  # as new as its newest comment: its ETag holds
    return feed_response(request, serialise(feed, fmt), MEDIA[fmt])
