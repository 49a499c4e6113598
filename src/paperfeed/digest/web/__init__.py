"""Subscription routes: subscribe (form and JSON), confirm, preferences and one-click unsubscribe.

The app that includes `router` puts a `DigestSite` in `app.state.digest` (settings, engine,
search, and the site's one page environment). Forms are protected from
cross-site posts by an Origin/Referer check; the one-click unsubscribe POST (RFC 8058) is
authorised by its signed token alone, since mail providers send it without cookies or Origin.
"""

from fastapi import APIRouter

from paperfeed.digest.web import (
    confirming,
    notice_links,
    preferences,
    rating,
    subscribing,
    unsubscribing,
)
from paperfeed.digest.web.common import DigestSite, digest_router, same_origin, wants_json
from paperfeed.digest.web.confirming import confirm_now, confirm_page
from paperfeed.digest.web.notice_links import (
    link_account_now,
    link_account_page,
    stop_notices_now,
    stop_notices_page,
)
from paperfeed.digest.web.preferences import preferences_page, save_preferences
from paperfeed.digest.web.rating import RATINGS, rate_now, rate_page
from paperfeed.digest.web.subscribing import (
    BAD_TOKEN,
    CHECK_INBOX,
    CROSS_SITE,
    DEMO_INBOX,
    mailbox_page,
    subscribe_again,
    subscribe_api,
    subscribe_form,
)
from paperfeed.digest.web.unsubscribing import unsubscribe_now, unsubscribe_page

# The routes, in the order the single module declared them.
router = APIRouter()
for _part in (subscribing, confirming, preferences, unsubscribing, notice_links, rating):
    router.include_router(_part.router)

__all__ = [
    "BAD_TOKEN",
    "CHECK_INBOX",
    "CROSS_SITE",
    "DEMO_INBOX",
    "RATINGS",
    "DigestSite",
    "confirm_now",
    "confirm_page",
    "digest_router",
    "link_account_now",
    "link_account_page",
    "mailbox_page",
    "preferences_page",
    "rate_now",
    "rate_page",
    "router",
    "same_origin",
    "save_preferences",
    "stop_notices_now",
    "stop_notices_page",
    "subscribe_again",
    "subscribe_api",
    "subscribe_form",
    "unsubscribe_now",
    "unsubscribe_page",
    "wants_json",
]
