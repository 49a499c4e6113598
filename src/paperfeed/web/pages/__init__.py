"""The HTML pages: daily, trending, search, paper, author, category, submit, about."""

from fastapi import APIRouter

from paperfeed.web.pages import (
    actions,
    addresses,
    daily,
    front,
    listings,
    paper,
    searching,
    topics,
    venues,
)
from paperfeed.web.pages.actions import moderate, submit, submit_page, upvote
from paperfeed.web.pages.addresses import (
    arxiv_address,
    arxiv_sanity_inspect,
    papers_index,
    papers_trending,
)
from paperfeed.web.pages.common import PageNo
from paperfeed.web.pages.daily import DailySort, daily_page
from paperfeed.web.pages.front import daily_home, home
from paperfeed.web.pages.listings import (
    about_page,
    author_page,
    category_page,
    stars_page,
    trending_page,
)
from paperfeed.web.pages.paper import PAPER_COLLECTIONS, SIMILAR, VERSION_MOST, log, paper_page
from paperfeed.web.pages.searching import QUERY_MOST, QUERY_READ_MOST, search_page
from paperfeed.web.visits import NewOnly

# The routes, in the order the single module declared them.
router = APIRouter(include_in_schema=False)
for _part in (front, addresses, daily, topics, listings, venues, searching, actions, paper):
    router.include_router(_part.router)

__all__ = [
    "DailySort",
    "NewOnly",
    "PAPER_COLLECTIONS",
    "PageNo",
    "QUERY_MOST",
    "QUERY_READ_MOST",
    "SIMILAR",
    "VERSION_MOST",
    "about_page",
    "arxiv_address",
    "arxiv_sanity_inspect",
    "author_page",
    "category_page",
    "daily_home",
    "daily_page",
    "home",
    "log",
    "moderate",
    "paper_page",
    "papers_index",
    "papers_trending",
    "router",
    "search_page",
    "stars_page",
    "submit",
    "submit_page",
    "trending_page",
    "upvote",
]
