"""The private For you feed: making its address and serving it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from paperfeed.store import library as lib
from paperfeed.web import feeds, me_api, views
from paperfeed.web.cache import Cached
from paperfeed.web.confirm import Confirmed, ask
from paperfeed.web.deps import FormCsrf, SignedInDep, Site, SiteDep, html
from paperfeed.web.library.common import WINDOWS, _recommender, _unlisted
from paperfeed.web.library.for_you_pages import (
    WINDOW_NAMES,
    CollectionParam,
    _collection_id,
    ranked_feed,
)
from paperfeed.web.me_api.collections import feed_url_of
from paperfeed.web.render import query_string

router = APIRouter(include_in_schema=False)


FEED_URL_COOKIE = "feed_url_once"  # the URL just made, for the page it leads to
FEED_URL_SHOWN_SECONDS = 600


@router.get("/for-you/feed-url", include_in_schema=False)
def feed_url_page(request: Request, site: SiteDep, user: SignedInDep) -> Response:
    """The URL just made, for ten minutes in this browser (a reload shows it again; only its
    fingerprint is stored); otherwise the library's section, which says whether one exists."""
    token = request.cookies.get(FEED_URL_COOKIE, "")
    with site.engine.connect() as conn:
        if not token or lib.feed_token_user(conn, token) != user.id:
            return RedirectResponse("/library#private-feed", status_code=303)
        collections = lib.user_collections(conn, user.id)
    base = site.settings.public_url.rstrip("/")
    url = feed_url_of(base, token)
    private = {"base": base, "token": token} if site.settings.private else None
    body = site.render(
        "feed_url.html", user=user, url=url, collections=collections, private=private
    )
    answer = html(site, request, body)
    answer.headers["Cache-Control"] = "no-store"
    return answer


@router.post("/for-you/feed-url", dependencies=[FormCsrf])
def feed_url(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    revoke: Annotated[int, Form(ge=0, le=1)] = 0,
    confirmed: Confirmed = 0,
) -> Response:
    """Make a new private feed URL (the old one stops working) and show it, or revoke it;
    either asks first when a URL is in use."""
    if not confirmed:
        with site.engine.connect() as conn:
            in_use = lib.has_feed_token(conn, user.id)
        if in_use:
            question = (
                "Revoke your private feed URL? Feed readers using it stop getting papers."
                if revoke
                else "Make a new private feed URL? The one in your feed reader stops working."
            )
            fields = [("revoke", "1")] if revoke else []
            yes = "Revoke it" if revoke else "Make a new one"
            return ask(request, site, user, question, "/library#private-feed", fields, yes)
    with site.engine.begin() as conn:
        if revoke:
            lib.revoke_feed_tokens(conn, user.id)
        else:
            token = lib.new_feed_token(conn, user.id)
    if revoke:
        body = site.render("feed_url.html", user=user, url=None, collections=[])
        answer = html(site, request, body)
        answer.delete_cookie(
            FEED_URL_COOKIE, path="/for-you/feed-url", httponly=True, samesite="strict"
        )
        return answer
    shown = RedirectResponse("/for-you/feed-url", status_code=303)  # a reload makes no new one
    shown.set_cookie(
        FEED_URL_COOKIE,
        token,
        max_age=FEED_URL_SHOWN_SECONDS,
        path="/for-you/feed-url",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https" or site.settings.public_url.startswith("https://"),
    )
    return shown


@router.get("/feeds/for-you/{token}.{fmt}")
def private_feed(
    request: Request,
    site: SiteDep,
    token: str,
    fmt: str,
    window: str = "week",
    collection: CollectionParam = "",
) -> Response:
    """Your For you feed for feed readers, behind a private, revocable URL (`?window=all`: the
    whole store, or the month when it cannot be ranked yet; `?collection=ID`: ranked by that
    collection of yours alone)."""
    if fmt not in ("atom", "rss"):
        raise HTTPException(404, "formats: atom, rss")
    if window not in WINDOWS:
        raise HTTPException(400, f"window is one of {', '.join(WINDOWS)}")
    collection_id = _collection_id(collection)
    with site.engine.connect() as conn:
        user_id = lib.feed_token_user(conn, token)
        if user_id is None:
            raise HTTPException(404, "this feed URL was revoked or never existed")
        chosen = (
            me_api.own_collection(conn, user_id, collection_id)
            if collection_id is not None
            else None
        )
        signals = lib.signal_version(conn, user_id)
    # A reader polls every few minutes: the body is kept until the store or what the reader's
    # ranking learns from changes (as the recommender keeps its ranking), not built per poll.
    named = chosen.name if chosen else ""
    key: tuple[str, ...] = ("private-feed", request.url.path, request.url.query)
    key = (*key, site.data_version(), str(signals), named)

    def build() -> Cached:
        body = _private_feed_body(request, site, user_id, token, window, chosen, fmt)
        return Cached(body, feeds.MEDIA[fmt])

    body = site.cache.get_or_build(key, build).body
    return _unlisted(feeds.feed_response(request, body, feeds.MEDIA[fmt], private=True))


def _private_feed_body(
    request: Request,
    site: Site,
    user_id: int,
    token: str,
    window: str,
    chosen: lib.Collection | None,
    fmt: str,
) -> str:
    """A reader's For you feed (ranked by the collection `chosen`, if one) as Atom or RSS."""
    collection_id = chosen.id if chosen else None
    with site.engine.connect() as conn:
        recs, _notice = ranked_feed(
            _recommender(request), conn, user_id, window, 50, collection=collection_id
        )
        shown = views.cards(conn, [r.id for r in recs], None)
    title = f"Papers like “{chosen.name}”" if chosen else "For you"
    title += f", {WINDOW_NAMES.get(window, window)}"  # one feed per window: told apart
    page = "/for-you" + query_string(collection=collection_id)
    listing = views.Listing(
        title,
        shown,
        len(shown),
        1,
        50,
        page,
        f"/feeds/for-you/{token}",
        query_string(window=window if window != "week" else None, collection=collection_id),
    )
    base = site.settings.public_url.rstrip("/")
    return feeds.render_listing(listing, fmt, base, {r.id: r.why for r in recs})
