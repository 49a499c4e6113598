"""The outermost layer: CSRF cookie, security headers, and cached pages served without routing."""

from __future__ import annotations

import re
from urllib.parse import quote

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import GZipMiddleware, GZipResponder, IdentityResponder
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperfeed.web import compress, csrf
from paperfeed.web.cache import Cached, not_modified
from paperfeed.web.deps import SESSION_COOKIE, Site

_CSP = (
    b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    b"script-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    b"frame-ancestors 'none'; form-action 'self'"
)
_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


_FEED_PATH = re.compile(r"/feeds/|/c/[^/]+/feed\.")
# Scripts read the API (a bearer token, or a page's fetch that already holds the cookie): an
# answer to them carries no form cookie, which would also keep shared caches from storing it.
_API_PATH = re.compile(r"/api(/|$)|/openapi\.json$")
_SECURE_ATTRIBUTE = re.compile(rb";\s*secure\s*(;|$)", re.IGNORECASE)
# A page differs with the session cookie or bearer token (signed in or not, the CSRF token in
# its forms): a shared cache keeps a visitor's copy apart from a signed-in reader's. Feeds and
# static files are the same for everyone.
_VARY = (b"vary", b"Cookie, Authorization")
_VARY_ENCODING = (b"vary", b"Accept-Encoding")
# The CSRF field as cached pages hold it (`csrf.fill` fills it in).
_FIELD = f'name="{csrf.CSRF_FIELD}" value="{csrf.PLACEHOLDER}"'


class SiteMiddleware:
    """Gives every browser a CSRF cookie and every response the security headers.

    An anonymous GET whose rendering is cached for the current data version is answered here,
    before routing: the home page and other popular pages cost a dictionary lookup. With
    `compress`, one to a client that takes gzip goes out compressed, from the kept compression.
    """

    def __init__(
        self, app: ASGIApp, secure: bool, cached: bool = True, compress: bool = False
    ) -> None:
        self.app, self.secure, self.cached = app, secure, cached  # cached: False on a private site
        self.compress = compress

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookies = cookie_parser(_header(scope, b"cookie"))
        existing = cookies.get(csrf.CSRF_COOKIE)
        value = existing or csrf.new_cookie_value()
        scope.setdefault("state", {})["csrf_cookie"] = value
        # A feed is read by feed readers and shared caches, the API by scripts (and a script's
        # export, sent with a bearer token; a browser behind a proxy's Basic sign-in is no
        # script): no cookie.
        path = scope["path"]
        bearer = _header(scope, b"authorization").lower().startswith("bearer ")
        scripted = bearer or _API_PATH.match(path)
        new = existing is None and not _FEED_PATH.match(path) and not scripted
        https = self.secure or scope.get("scheme") == "https"
        extra = _extra_headers(scope, value, new, self.secure)
        hit = _cached(scope, cookies) if self.cached else None
        if hit is not None:
            fresh = not_modified(hit, _header(scope, b"if-none-match"))
            takes = self.compress and compress.accepts_gzip(_header(scope, b"accept-encoding"))
            if self.compress:  # the answer differs with what the client takes, 304s alike
                extra.append(_VARY_ENCODING)
            # A 304 to a client that takes gzip names the weak tag its 200 may have had (Gzip).
            gzip = takes and (fresh or _compressible(hit))
            await _send_cached(scope["app"].state.site, hit, value, extra, send, fresh, gzip)
            return

        kept = _personal_caching(cookies, scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.raw.extend(extra)
                if https:  # every cookie a route sets or clears, whichever route
                    _secure_cookies(headers.raw)
                if kept and "cache-control" not in headers:
                    headers["cache-control"] = kept
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _personal_caching(cookies: dict[str, str], scope: Scope) -> str:
    """Cache-Control for a signed-in answer ("" for an anonymous one). A page signed in by cookie
    (notes, library, For you) must be kept by no shared proxy, nor shown from the browser's cache
    after signing out: no-store. A script's (an Authorization header, no cookie) may keep its
    private copy to revalidate with If-None-Match (the API's ETags): no-cache."""
    if SESSION_COOKIE in cookies:
        return "private, no-store"
    return "private, no-cache" if _header(scope, b"authorization") else ""


def _extra_headers(
    scope: Scope, value: str, new_cookie: bool, secure: bool
) -> list[tuple[bytes, bytes]]:
    extra = list(_HEADERS)
    if not _FEED_PATH.match(scope["path"]) and not scope["path"].startswith("/static/"):
        extra.append(_VARY)
    if scope["path"] != "/docs":  # the docs page sends its own, allowing its inline script
        extra.append((b"content-security-policy", _CSP))
    if secure:  # the site is served over https: browsers must never try plain http
        extra.append((b"strict-transport-security", b"max-age=31536000"))
    if new_cookie:
        https = secure or scope.get("scheme") == "https"
        extra.append((b"set-cookie", _csrf_cookie(value, https).encode()))
    return extra


def _cached(scope: Scope, cookies: dict[str, str]) -> Cached | None:
    if scope["method"] != "GET" or SESSION_COOKIE in cookies or _header(scope, b"authorization"):
        return None
    site: Site = scope["app"].state.site
    version = site.version.known()  # never waits for the store: this runs on the event loop
    if version is None:
        return None
    query = scope.get("query_string", b"").decode("latin-1")
    return site.cache.get((scope["path"], query, version))


def _compressible(hit: Cached) -> bool:
    """A kept answer worth compressing: text (pages, JSON) of `compress.MINIMUM` or more."""
    media = hit.media_type
    return len(hit.body) >= compress.MINIMUM and (media.startswith("text/") or "json" in media)


async def _send_cached(
    site: Site,
    hit: Cached,
    value: str,
    extra: list[tuple[bytes, bytes]],
    send: Send,
    unchanged: bool = False,
    gzip: bool = False,
) -> None:
    """A kept answer (304 without its body when the client holds it already), gzipped from
    its kept compression when `gzip` (its ETag then weak: the bytes differ)."""
    kept = [(k.lower().encode(), v.encode()) for k, v in hit.headers]
    if gzip:
        kept = [(k, _weak(v) if k == b"etag" else v) for k, v in kept]
    if unchanged:
        await send({"type": "http.response.start", "status": 304, "headers": kept + extra})
        await send({"type": "http.response.body", "body": b""})
        return
    html = hit.media_type.startswith("text/html")
    token = csrf.token_for(site.secret, value) if html else ""
    if gzip:
        filled = csrf.fill(_FIELD, token) if html else ""
        data = compress.gzipped(hit.body, _FIELD, filled, hit.packed)
        kept.append((b"content-encoding", b"gzip"))
    else:
        data = (csrf.fill(hit.body, token) if html else hit.body).encode()
    headers = [
        (b"content-type", hit.media_type.encode()),
        (b"content-length", str(len(data)).encode()),
        *kept,
        *extra,
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": data})


def _weak(tag: bytes) -> bytes:
    return tag if tag.startswith(b"W/") else b"W/" + tag


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def _secure_cookies(raw: list[tuple[bytes, bytes]]) -> None:
    """Mark Secure each Set-Cookie that is not (the site is served over https)."""
    for i, (name, value) in enumerate(raw):
        if name.lower() == b"set-cookie" and not _SECURE_ATTRIBUTE.search(value):
            raw[i] = (name, value + b"; Secure")


def _csrf_cookie(value: str, https: bool) -> str:
    secure = "; Secure" if https else ""
    return f"{csrf.CSRF_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax{secure}"


class HeadAsGet:
    """Answers HEAD as GET without the body, as HTTP servers must (RFC 9110, 9.3.2).

    Link checkers, uptime monitors, feed readers and link previews often ask HEAD first; the
    site's routes are GET routes, which answered them 405. Added innermost, so the access log
    still says HEAD.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)


class Gzip(GZipMiddleware):
    """Starlette's gzip, asked only when the client takes gzip (it looks for the word, so
    `gzip;q=0` got gzip), answering HEAD with the headers its GET gets, and telling caches
    what they need (RFC 9110): an answer it may compress says Vary: Accept-Encoding whichever
    coding the client takes, and so does a 304 (it says what its 200 would, 15.4.5); a body it
    gzipped gets a weak ETag, as does a 304 to a client that takes gzip: a strong tag names
    one body's bytes, and the gzip bytes are others (If-None-Match compares weakly)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        takes = compress.accepts_gzip(_header(scope, b"accept-encoding"))
        coded: list[bool] = []  # whether the route's answer came in a coding of its own
        kept = self.exclude_content_types
        route = _noting_coding(self.app, coded)
        responder: ASGIApp = IdentityResponder(route, self.minimum_size, exclude_content_types=kept)
        if takes:
            level, threaded = self.compresslevel, self.thread_minimum_size
            responder = GZipResponder(
                route,
                self.minimum_size,
                level,
                thread_minimum_size=threaded,
                exclude_content_types=kept,
            )
        head = scope["method"] == "HEAD"

        async def send_validated(message: Message) -> None:
            if message["type"] == "http.response.start":
                _validators(message, takes, bool(coded) and coded[0], head, kept)
            await send(message)

        # A HEAD is compressed as its GET, so that it names the GET's coding, length and Vary.
        await (HeadAsGet(responder) if head else responder)(scope, receive, send_validated)


def _noting_coding(app: ASGIApp, coded: list[bool]) -> ASGIApp:
    async def noting(scope: Scope, receive: Receive, send: Send) -> None:
        async def note(message: Message) -> None:
            if message["type"] == "http.response.start":
                coded.append("content-encoding" in Headers(raw=message.get("headers", [])))
            await send(message)

        await app(scope, receive, note)

    return noting


def _validators(
    message: Message, takes: bool, coded: bool, head: bool, kept: tuple[str, ...]
) -> None:
    """The answer's Vary, ETag and (for a HEAD) Content-Length as caches need them."""
    message["headers"] = list(message.get("headers", []))
    headers = MutableHeaders(raw=message["headers"])
    status, media = message["status"], headers.get("content-type", "").partition(";")[0]
    # A route that picks its coding itself (a feed) gives each coding its own tag.
    own = coded or (status == 304 and "accept-encoding" in headers.get("vary", "").lower())
    gzipped = not coded and headers.get("content-encoding") == "gzip"
    if "etag" in headers and not own and (gzipped or (takes and status == 304)):
        headers["etag"] = _weak(headers["etag"].encode()).decode()
    # A 304 names no type: it always varies.
    _vary_by_coding(headers, status == 304 or (status == 200 and not _excluded(media, kept)))
    # A page's gzip length changes with its CSRF token, masked afresh in every answer: no GET
    # will have this HEAD's length, so it names none (RFC 9110 8.6: only the GET's, or none).
    if head and gzipped and media.startswith("text/html"):
        del headers["content-length"]


def _vary_by_coding(headers: MutableHeaders, varies: bool) -> None:
    """Vary naming Accept-Encoding once (a route's own, Starlette's) where the answer varies."""
    names = [n.strip() for v in headers.getlist("vary") for n in v.split(",") if n.strip()]
    names += ["Accept-Encoding"] if varies else []
    unique: dict[str, str] = {}
    for name in names:
        unique.setdefault(name.lower(), name)
    if unique:
        headers["vary"] = ", ".join(unique.values())


def _excluded(media: str, kept: tuple[str, ...]) -> bool:
    """Whether an answer of this type goes out as it is (images, fonts: compressed already)."""
    media = media.strip().lower()
    return media in kept or media.partition("/")[0] + "/*" in kept


class TrailingSlash:
    """`/daily/` leads to `/daily` (307, the method kept) by a relative address, when no route
    takes the address as it is (a route's 404 or 405): the client's Host header never goes
    into it, as it did in the router's own redirect."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path == "/" or not path.endswith("/"):
            await self.app(scope, receive, send)
            return
        instead = False

        async def send_or_redirect(message: Message) -> None:
            nonlocal instead
            if message["type"] == "http.response.start" and message["status"] in (404, 405):
                instead = True
                await _send_redirect(scope, path, send)
            elif not instead:  # the 404's own body goes nowhere
                await send(message)

        await self.app(scope, receive, send_or_redirect)


async def _send_redirect(scope: Scope, path: str, send: Send) -> None:
    query = scope.get("query_string", b"").decode("latin-1")
    target = quote("/" + path.strip("/"), safe="/:@!$&'()*+,;=~.-_") or "/"
    location = (target + (f"?{query}" if query else "")).encode("latin-1", "replace")
    headers = [(b"location", location), (b"content-length", b"0")]
    await send({"type": "http.response.start", "status": 307, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
