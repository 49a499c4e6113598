"""The JSON API under /api, shaped like Hugging Face's daily-papers API where that fits."""

from fastapi import APIRouter

from paperfeed.web.api import by_id, listings, searching, sessions, submissions
from paperfeed.web.api.by_id import (
    MAX_IDS,
    NOT_FOUND,
    Ids,
    paper,
    papers,
    remove_upvote,
    similar,
    upvote,
)
from paperfeed.web.api.common import (
    HIDDEN,
    JSON,
    Limit,
    PageIndex,
    ShowMuted,
    dumps,
    item_json,
    paper_json,
    stamp,
)
from paperfeed.web.api.listings import daily_papers, public_collections, trending
from paperfeed.web.api.schemas import (
    AskedVersionOut,
    AuthorOut,
    CollectionFeedsOut,
    ItemOut,
    LoggedOutOut,
    LoginIn,
    PaperOut,
    PublicCollectionOut,
    SubmitIn,
    TokenOut,
    UserOut,
    VoteOut,
)
from paperfeed.web.api.searching import DEGRADED, PASSING, SearchPage, search
from paperfeed.web.api.sessions import CHALLENGE, login, logout
from paperfeed.web.api.submissions import submit

# The routes, in the order the single module declared them.
router = APIRouter(prefix="/api", tags=["api"])
for _part in (listings, searching, by_id, submissions, sessions):
    router.include_router(_part.router)

__all__ = [
    "AskedVersionOut",
    "AuthorOut",
    "CHALLENGE",
    "CollectionFeedsOut",
    "DEGRADED",
    "HIDDEN",
    "Ids",
    "ItemOut",
    "JSON",
    "Limit",
    "LoggedOutOut",
    "LoginIn",
    "MAX_IDS",
    "NOT_FOUND",
    "PASSING",
    "PageIndex",
    "PaperOut",
    "PublicCollectionOut",
    "SearchPage",
    "ShowMuted",
    "SubmitIn",
    "TokenOut",
    "UserOut",
    "VoteOut",
    "daily_papers",
    "dumps",
    "item_json",
    "login",
    "logout",
    "paper",
    "paper_json",
    "papers",
    "public_collections",
    "remove_upvote",
    "router",
    "search",
    "similar",
    "stamp",
    "submit",
    "trending",
    "upvote",
]
