"""A private instance (PAPERFEED_PRIVATE=true): nothing is shown to a visitor who is not signed in.

Every request passes `PrivateGate` first. Open to anyone: the health and metrics endpoints, static
files, signing in and up (the sign-up policy still applies), and the links of emails, which carry
their own signed tokens. A feed is read with the reader's private feed token: `?token=` (the one
of their private For you feed URL). Everything else needs a session cookie or a bearer token: a
person is sent to sign in and comes back to the page asked for; an API client gets 401.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperfeed.store.library import feed_token_user
from paperfeed.web.deps import Site, bearer_sent, live_session, session_token

# Reachable without signing in (exact paths, then prefixes).
OPEN_PATHS = frozenset(
    {
        "/healthz", "/readyz", "/metrics", "/robots.txt", "/favicon.ico",
        "/manifest.webmanifest",  # fetched without cookies; says the site's name only
        "/signin", "/signup", "/login", "/register", "/join", "/signout", "/api/login",
        # email links: each checks its own signed token
        "/confirm", "/unsubscribe", "/preferences", "/notices/stop", "/notices/link",
        "/digest/rate", "/password/set", "/signin/forgot", "/email/confirm",
    }
)  # fmt: skip
OPEN_PREFIXES = ("/static/", "/feeds/for-you/")  # the For you feed checks the token in its path
_FEED = re.compile(r"/feeds/|/c/[^/]+/feed\.")
_JSON = re.compile(r"/api/|/feeds/|/openapi\.json$|/c/[^/]+/feed\.|.*(/bibtex|\.md)$")
NOINDEX = (b"x-robots-tag", b"noindex, nofollow")
SIGN_IN_FIRST = (
    "this site is private: sign in first (a bearer token from POST /api/login, or a session "
    "cookie); feed readers add ?token= with the reader's private feed token"
)
BUSY = "The server is busy; try again in a few seconds."


class PrivateGate:
    """Lets through only signed-in requests, the open paths, and feeds with a feed token; every
    answer says `X-Robots-Tag: noindex`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _noindex(send)
        request = Request(scope)
        try:
            allowed = _open(scope["path"]) or await _admitted(request)
        except (OperationalError, SQLAlchemyTimeout):
            answer: Response = JSONResponse({"detail": BUSY}, 503, {"Retry-After": "5"})
            await answer(scope, receive, send)
            return
        if allowed:
            await self.app(scope, receive, send)
            return
        await _refusal(request)(scope, receive, send)


def _open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


async def _admitted(request: Request) -> bool:
    """A live session (cookie or bearer), or a feed read with a live private feed token."""
    site: Site = request.app.state.site
    token = session_token(request)
    if token is not None:
        signed_in: bool = await run_in_threadpool(live_session, site, token, bearer_sent(request))
        if signed_in:
            return True
    feed_token = request.query_params.get("token", "")
    if not feed_token or len(feed_token) > 100 or not _FEED.match(request.url.path):
        return False
    return await run_in_threadpool(_feed_reader, site, feed_token)


def _feed_reader(site: Site, token: str) -> bool:
    with site.engine.connect() as conn:
        return feed_token_user(conn, token) is not None


def _refusal(request: Request) -> Response:
    """401 for API and feed clients; people go to sign in, then back to what they asked for."""
    path = request.url.path
    if _JSON.match(path) or "application/json" in request.headers.get("accept", ""):
        challenge = {"WWW-Authenticate": 'Bearer realm="paperfeed"'}
        return JSONResponse({"detail": SIGN_IN_FIRST}, 401, challenge)
    wanted = "/"
    if request.method in ("GET", "HEAD") and not path.startswith("//"):
        wanted = path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/signin?next=" + quote(wanted, safe="/"), status_code=303)


def _noindex(send: Send) -> Send:
    async def marked(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            headers.raw.append(NOINDEX)
            said = headers.get("cache-control", "")
            if "public" in said:  # a feed: kept by its reader only, never by a shared cache
                headers["cache-control"] = said.replace("public", "private")
        await send(message)

    return marked
