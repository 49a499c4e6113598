"""Atom, RSS and BibTeX for every listing (daily, trending, category, author, search)."""

from fastapi import APIRouter

from paperfeed.web.feeds import listing_feeds, paper
from paperfeed.web.feeds.listing_feeds import (
    DAY_FEED_SIZE,
    FEED_SIZE,
    FeedPage,
    author_feed,
    category_feed,
    daily_feed,
    search_feed,
    trending_feed,
)
from paperfeed.web.feeds.paper import paper_bibtex, resolve_id
from paperfeed.web.feeds.responses import FEED_MAX_AGE, feed_response, reader_token
from paperfeed.web.feeds.writing import ATOM, MEDIA, feed_url, render_listing, serialise

# The routes, in the order the single module declared them.
router = APIRouter(tags=["feeds"])
for _part in (listing_feeds, paper):
    router.include_router(_part.router)

__all__ = [
    "ATOM",
    "DAY_FEED_SIZE",
    "FEED_MAX_AGE",
    "FEED_SIZE",
    "FeedPage",
    "MEDIA",
    "author_feed",
    "category_feed",
    "daily_feed",
    "feed_url",
    "feed_response",
    "paper_bibtex",
    "reader_token",
    "render_listing",
    "resolve_id",
    "router",
    "search_feed",
    "serialise",
    "trending_feed",
]
