"""Personal pages: save, rate, follow, mute; the library; For you; collections; import/export.

Every button is a plain form that works without JavaScript; static/library.js sends the same
forms with fetch (Accept: application/json) so the page does not reload.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from paperfeed import references
from paperfeed.recommend.service import shared_recommender
from paperfeed.web import collection_editors, collection_handover, me_api
from paperfeed.web.deps import Site
from paperfeed.web.library import (
    by_topic,
    collection_pages,
    exports,
    for_you_pages,
    importing,
    private_feeds,
    saving,
    shelf,
)
from paperfeed.web.library.collection_pages import (
    collection_page,
    copy_collection,
    create_collection,
    delete_collection,
    edit_collection,
    new_link,
    public_collections_page,
    remove_from_collection,
)
from paperfeed.web.library.common import (
    ALL_TIME_FALLBACK,
    EXPORTS,
    NOINDEX,
    WINDOWS,
    Muted,
    NextField,
    Reply,
    TextField,
    hide_for,
    mark_muted,
    markdown_html,
    personal_context,
    personalise,
    reader_hide,
)
from paperfeed.web.library.exports import collection_feed, export_library, export_ticked
from paperfeed.web.library.for_you_pages import (
    FOR_YOU_PAGES,
    RATINGS_SHOWN,
    START_DAYS,
    START_OFFERED,
    WINDOW_NAMES,
    CollectionParam,
    for_you,
    learned,
    ranked_feed,
    reset,
    start,
    window_span,
)
from paperfeed.web.library.importing import PASTE_MAX, import_page, import_upload
from paperfeed.web.library.private_feeds import (
    FEED_URL_COOKIE,
    FEED_URL_SHOWN_SECONDS,
    feed_url,
    feed_url_page,
    private_feed,
)
from paperfeed.web.library.saving import (
    ShownGroup,
    follow_author_page,
    follow_namesake,
    follow_or_mute,
    rate,
    save,
)
from paperfeed.web.library.shelf import (
    DONE_KEYS,
    BulkAction,
    LibraryOrder,
    ReadingState,
    Said,
    Shelf,
    bulk,
    edit_item,
    library_page,
)
from paperfeed.web.limits import allow_body

# The pages' routes, in the order the single module declared them.
router = APIRouter(include_in_schema=False)
_PARTS = (saving, shelf, by_topic, collection_pages, exports, importing, for_you_pages)
for _part in (*_PARTS, private_feeds):
    router.include_router(_part.router)


def install(app: FastAPI) -> None:
    """Ready the app for the personal pages and API, with one recommender for the process."""
    site: Site = app.state.site
    # All-time feeds take their candidates from the search's vector index (recommend does not
    # import search: the app hands it in).
    app.state.recommender = shared_recommender(
        site.engine,
        lambda queries, k: site.search().neighbours(queries, k),
        site.settings.index_dir / "vocabulary",  # beside the search's index caches
    )
    app.state.site.env.filters["markdown"] = markdown_html
    for path in ("/api/me/library/import", "/library/import"):  # uploads, checked again inside
        allow_body(app, path, 2 * references.MAX_IMPORT_BYTES)
    # its routes: `ROUTERS`, which the app factory includes in its one route table


# The personal pages' and API's routers, in the order they are matched.
ROUTERS: tuple[APIRouter, ...] = (
    me_api.router,
    collection_editors.api,
    collection_handover.api,
    router,
    collection_editors.router,
    collection_handover.router,
)


__all__ = [
    "ALL_TIME_FALLBACK",
    "ROUTERS",
    "BulkAction",
    "CollectionParam",
    "DONE_KEYS",
    "EXPORTS",
    "FEED_URL_COOKIE",
    "FEED_URL_SHOWN_SECONDS",
    "FOR_YOU_PAGES",
    "LibraryOrder",
    "Muted",
    "NOINDEX",
    "NextField",
    "PASTE_MAX",
    "RATINGS_SHOWN",
    "ReadingState",
    "Reply",
    "START_DAYS",
    "START_OFFERED",
    "Said",
    "Shelf",
    "ShownGroup",
    "TextField",
    "WINDOWS",
    "WINDOW_NAMES",
    "bulk",
    "collection_feed",
    "collection_page",
    "copy_collection",
    "create_collection",
    "delete_collection",
    "edit_collection",
    "edit_item",
    "export_library",
    "export_ticked",
    "feed_url",
    "feed_url_page",
    "follow_author_page",
    "follow_namesake",
    "follow_or_mute",
    "for_you",
    "hide_for",
    "import_page",
    "import_upload",
    "install",
    "learned",
    "library_page",
    "mark_muted",
    "markdown_html",
    "new_link",
    "personal_context",
    "personalise",
    "private_feed",
    "public_collections_page",
    "ranked_feed",
    "rate",
    "reader_hide",
    "remove_from_collection",
    "reset",
    "router",
    "save",
    "start",
    "window_span",
]
