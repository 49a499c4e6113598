"""Listings the site shows (a day, trending, an author, a category, a search) as plain data.

Pages, the JSON API, feeds and BibTeX all render these same objects.
"""

from paperfeed.web.views.assembly import cards, current_papers
from paperfeed.web.views.common import (
    MAX_PAGE,
    Card,
    Listing,
    PageOutOfRange,
    check_page,
    following_newest,
    offset_of,
    reader_page,
)
from paperfeed.web.views.days import (
    DAILY_CATEGORIES_MOST,
    category_members,
    category_query,
    daily,
    daily_categories,
)
from paperfeed.web.views.listings import (
    VENUE_ORDERS,
    VenueYear,
    by_author,
    by_category,
    by_venue,
    stars_listing,
    trending_listing,
    venue_index,
)
from paperfeed.web.views.searching import (
    SEARCH_FIRST_DAY,
    SEARCH_LAST_DAY,
    SEARCH_MODES,
    SEARCH_SORTS,
    ResultCache,
    SearchOutcome,
    SearchParams,
    hit_cards,
    search,
    similar,
)

__all__ = [
    "Card",
    "DAILY_CATEGORIES_MOST",
    "Listing",
    "MAX_PAGE",
    "PageOutOfRange",
    "ResultCache",
    "SEARCH_FIRST_DAY",
    "SEARCH_LAST_DAY",
    "SEARCH_MODES",
    "SEARCH_SORTS",
    "SearchOutcome",
    "SearchParams",
    "by_author",
    "by_category",
    "by_venue",
    "venue_index",
    "VenueYear",
    "VENUE_ORDERS",
    "cards",
    "category_members",
    "category_query",
    "check_page",
    "current_papers",
    "daily",
    "daily_categories",
    "following_newest",
    "hit_cards",
    "offset_of",
    "reader_page",
    "search",
    "similar",
    "stars_listing",
    "trending_listing",
]
