"""The app factory: wires settings, the store, routes, error pages and security headers."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from functools import partial
from html import escape
from typing import Any
from urllib.parse import quote, urlsplit

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.routing import iter_route_contexts
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from paperfeed.digest.web import DigestSite
from paperfeed.secret import secret_key
from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.store.accounts import User, session_suspended
from paperfeed.store.api_tokens import is_personal
from paperfeed.util import is_disk_full, site_path
from paperfeed.web import cors, csrf, openapi
from paperfeed.web.access import AccessLog, hidden_params, log_target
from paperfeed.web.assets import STATIC, Assets
from paperfeed.web.auth import SUSPENDED, safe_next
from paperfeed.web.baseurl import BaseUrlCheck, PrefixMount
from paperfeed.web.compress import LEVEL, MINIMUM
from paperfeed.web.cors import Cors
from paperfeed.web.deps import (
    SignInRequired,
    Site,
    for_machines,
    get_user,
    html,
    session_token,
    signed,
    signed_in_id,
)
from paperfeed.web.etags import ETags
from paperfeed.web.limits import RETRY_AFTER, BodyLimit, ConcurrencyLimit
from paperfeed.web.middleware import Gzip, HeadAsGet, SiteMiddleware, TrailingSlash
from paperfeed.web.periods import BadPeriod
from paperfeed.web.private import PrivateGate
from paperfeed.web.views import PageOutOfRange

log = logging.getLogger(__name__)


def secret_bytes(settings: Settings) -> bytes:
    """The key that signs CSRF tokens; refuses to invent one outside dev mode."""
    return secret_key(settings).encode()


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    """Build the site for the given settings (opening and migrating the store if needed)."""
    secret = secret_bytes(settings)
    app = FastAPI(
        title="paperfeed",
        summary="Daily and trending research papers, search, upvotes and submissions.",
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    openapi.install(app)
    app.state.site = site = Site(settings, engine or open_store(settings), secret)
    account = partial(signed_in_id, site)  # subscribing while signed in links the account
    app.state.digest = DigestSite(
        settings,
        site.engine,
        site.search,
        site.env,
        account,
        reader=_reader,
        sign=partial(signed, site),
        csrf=csrf.PLACEHOLDER,
    )
    slots, queue, wait = settings.web_threads, settings.web_queue, settings.web_queue_timeout
    app.router.redirect_slashes = False  # TrailingSlash does it, without the Host header
    app.add_middleware(TrailingSlash)
    app.add_middleware(ETags)  # inside HeadAsGet: a HEAD gets the GET's tag
    app.add_middleware(HeadAsGet)
    app.add_middleware(ConcurrencyLimit, slots=slots, queue=queue, wait=wait)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, root=settings.root_path)
    if settings.private:  # inside the site middleware: its cached pages are never shown unasked
        app.add_middleware(PrivateGate)
    if settings.compress:  # what the routes answer; feeds and fonts come compressed already
        app.add_middleware(Gzip, minimum_size=MINIMUM, compresslevel=LEVEL)
    secure = settings.public_url.startswith("https://")
    # Pages it answers from its cache it compresses itself, once per page, not per request.
    app.add_middleware(
        SiteMiddleware, secure=secure, cached=not settings.private, compress=settings.compress
    )
    if settings.access_log != "off":
        hidden = hidden_params(settings.access_log_queries)
        short = settings.access_log_addresses == "short"
        app.add_middleware(AccessLog, style=settings.access_log, hidden=hidden, short=short)
    if settings.trusted_proxies.strip():  # only these may say who the client is
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    if settings.base_url:
        app.add_middleware(BaseUrlCheck, base_url=settings.base_url)
    app.add_middleware(Cors, origins=cors.origins(settings.cors_origins), private=settings.private)
    _add_ops(app, settings)
    if settings.root_path:  # outermost: the site's routes and checks see paths without it
        app.add_middleware(PrefixMount, root=settings.root_path)
    _add_error_handlers(app)
    _add_routes(app)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # A thread for every request slot (each holds one pooled connection at most), plus spares.
    to_thread.current_default_thread_limiter().total_tokens = (
        app.state.site.settings.web_threads + 8
    )
    from paperfeed.web.ops import note_signing_key

    await to_thread.run_sync(note_signing_key, app.state.site.engine, app.state.site.secret)
    yield
    from paperfeed.web.admin import stop_runs

    stop_runs(app.state.site)  # jobs "Run now" started here end, recorded, not left running
    app.state.site.close()


def _add_routes(app: FastAPI) -> None:
    from paperfeed.digest.web import router as digest_router
    from paperfeed.web import (
        api,
        api_tokens,
        auth,
        claims,
        collection_sections,
        discuss,
        feeds,
        leaving,
        library,
        manifest,
        markdown,
        moderation,
        pages,
        reactions,
        shared_lists,
        upvoters,
    )

    app.mount("/static", Assets(directory=STATIC), name="static")
    app.add_api_route("/docs", _docs, include_in_schema=False)
    app.include_router(discuss.api)
    app.include_router(reactions.api)
    app.include_router(api.router)
    app.include_router(feeds.router)
    app.include_router(markdown.router)
    app.include_router(manifest.router)
    app.include_router(auth.router)
    app.include_router(digest_router)
    app.include_router(discuss.router)
    app.include_router(reactions.router)
    app.include_router(claims.router)
    app.include_router(moderation.router)
    app.include_router(leaving.router)
    app.include_router(leaving.api)
    app.include_router(upvoters.router)
    app.include_router(upvoters.api)
    app.include_router(shared_lists.router)
    app.include_router(collection_sections.router)
    app.include_router(shared_lists.api)
    app.include_router(api_tokens.api)
    app.include_router(api_tokens.router)
    library.install(app)  # personal pages and /api/me; before pages' /papers/{id} catch-all
    app.include_router(pages.router)


def _add_ops(app: FastAPI, settings: Settings) -> None:
    from paperfeed.web import account_email, admin, invites, ops, set_password

    ops.install(app, settings, app.state.site.engine)  # outermost: times cached pages too
    app.include_router(admin.router)
    app.include_router(invites.router)
    app.include_router(invites.accounts)
    app.include_router(set_password.router)
    app.include_router(account_email.router)


_DOCS_BACK = (
    '<nav style="font: 15px system-ui, sans-serif; padding: 12px 20px; '
    'border-bottom: 1px solid #ddd">'
    '<a href="{root}/">← Back to paper<b>feed</b></a> · <a href="{root}/about">About</a></nav>'
)


def _docs(request: Request) -> HTMLResponse:
    root = request.app.state.site.settings.root_path  # the path the site is served under
    page = get_swagger_ui_html(
        openapi_url=f"{root}/openapi.json",
        title="paperfeed API",
        swagger_js_url=f"{root}/static/swagger/swagger-ui-bundle.js",
        swagger_css_url=f"{root}/static/swagger/swagger-ui.css",
        swagger_favicon_url=f"{root}/static/favicon.svg",
    )
    back = _DOCS_BACK.format(root=escape(root))
    body = bytes(page.body).decode().replace("<body>", "<body>\n" + back, 1)
    response = HTMLResponse(body)
    response.headers["content-security-policy"] = docs_csp(body)
    return response


def docs_csp(page: str) -> str:
    """A Content-Security-Policy for the Swagger UI page: its own inline script, by hash."""
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in scripts
    )
    return (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    )


def wants_json(request: Request) -> bool:
    """API and feed clients get JSON errors; people get an error page."""
    return for_machines(request.url.path)


def _back_after_sign_in(request: Request) -> str:
    """Where signing in leads back to: the page asked for, or, for a form posted while signed
    out (a vote on a comment), the page the form was on (a form's own address answers POST
    only)."""
    if request.method in ("GET", "HEAD"):
        query = request.url.query
        return request.url.path + (f"?{query}" if query else "")
    came = urlsplit(request.headers.get("referer", ""))
    if came.netloc and came.netloc != request.url.netloc:
        return "/"
    path = site_path(request.app.state.site.settings.root_path, came.path) if came.path else None
    return safe_next(path + (f"?{came.query}" if came.query else "")) if path else "/"


def allowed_methods(request: Request) -> list[str]:
    """Every method the routes that name this path most closely answer (HEAD wherever GET
    is): those with the most of the path written out, not taken by parameters
    (`/papers/{id:path}/rate` names /papers/ID/rate, which `/papers/{id:path}` and
    `/papers/{kind}/{value}` would take as an id)."""
    matching = [
        route
        for route in iter_route_contexts(request.app.routes)
        if route.path and compile_path(route.path)[0].fullmatch(request.url.path)
    ]
    written = [len(_PARAM_RE.sub("", route.path or "")) for route in matching]
    methods: set[str] = set()
    for route, length in zip(matching, written, strict=True):
        if length == max(written):
            methods |= route.methods or set()
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def _other_methods_only(request: Request) -> bool:
    """Whether a 404 came from a route whose parameters took the address of a closer route
    that answers other methods only (GET /papers/ID/rate): the address is there, the method
    is not."""
    taken_by = getattr(request.scope.get("route"), "path", "")
    if "{" not in str(taken_by):
        return False
    methods = allowed_methods(request)
    return bool(methods) and request.method not in methods


_PARAM_RE = re.compile(r"\{[^}]*\}")
_HEADINGS = {
    403: "Not allowed",
    404: "Not found",
    405: "Not this way",
    409: "Already so",
    413: "Too large",
    429: "Slow down",
    503: "Busy",
    507: "Disk full",
}


def error_response(
    request: Request, status: int, message: str, user: User | None = None
) -> Response:
    """A 4xx/5xx answer with a message, as JSON or as a page (with the reader's header)."""
    if wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    site: Site = request.app.state.site
    heading = _HEADINGS.get(status, "Please check what you sent")
    if status >= 500 and status not in (503, 507):
        heading = "Something went wrong"
    back = _came_from(request)
    body = site.render(
        "error.html", status=status, heading=heading, message=message, user=user, back=back
    )
    return html(site, request, body, status)


def _came_from(request: Request) -> str | None:
    """The page of this site a refused form was sent from, to go back to (None: elsewhere,
    not said, or this same address)."""
    referer = request.headers.get("referer", "")
    site: Site = request.app.state.site
    public = urlsplit(site.settings.public_url)
    origins = (f"{request.url.scheme}://{request.url.netloc}", f"{public.scheme}://{public.netloc}")
    here = next((o for o in origins if referer.startswith(o + "/")), None)
    if here is None:
        return None
    path = site_path(site.settings.root_path, referer[len(here) :])  # None: outside the site
    if path is None or path.startswith(("//", "/\\")) or path == request.url.path:
        return None
    return path if len(path) <= 2000 else None


def _suspended(request: Request, token: str) -> bool:
    """True when the request's session belongs to a suspended account (blocking)."""
    site: Site = request.app.state.site
    with site.engine.connect() as conn:
        return session_suspended(conn, token)


async def _reader(request: Request) -> User | None:
    """Who is signed in, for an error page's header; None when it cannot be told cheaply."""
    if wants_json(request) or session_token(request) is None:
        return None
    try:
        return await get_user(request, request.app.state.site)
    except Exception:  # noqa: BLE001 - an error page never fails for want of its header
        return None


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        headers = dict(exc.headers or {})
        if exc.status_code == 404 and message == "Not Found":
            message = f"There is nothing at {request.url.path}."
        if exc.status_code == 404 and _other_methods_only(request):
            exc = StarletteHTTPException(405)
        if exc.status_code == 405:  # Starlette names the methods of one route of the path
            headers["Allow"] = ", ".join(allowed_methods(request))
            message = f"{request.method} is not allowed here; use {headers['Allow']}."
        # A refusal for load (429) or a server error does not spend a store query on the header.
        user = await _reader(request) if exc.status_code < 500 and exc.status_code != 429 else None
        response = error_response(request, exc.status_code, message, user)
        for key, value in headers.items():
            response.headers[key] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        # 422 is the API's documented status; a feed reader, like a person, is told 400.
        status = 422 if request.url.path.startswith("/api/") else 400
        message = validation_message(exc)
        unread = not_json(request, exc)
        if unread:  # a JSON body sent as another media type: 415, saying what to send
            status, message = 415, unread
        return error_response(request, status, message, await _reader(request))

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        token = session_token(request)
        if token is not None and await to_thread.run_sync(_suspended, request, token):
            return error_response(request, 403, SUSPENDED, None)
        if wants_json(request):
            sent = request.headers.get("authorization", "").lower().startswith("bearer ")
            detail = (
                "sign in first: a bearer token from POST /api/login or an API token made on "
                "/account, or a session cookie"
            )
            if sent:
                anew = (
                    "make a new one on /account"
                    if is_personal(token or "")
                    else "get a new one from POST /api/login"
                )
                detail = f"that bearer token is not valid (revoked, expired or mistyped): {anew}"
            challenge = 'Bearer realm="paperfeed"' + (', error="invalid_token"' if sent else "")
            return JSONResponse(
                {"detail": detail}, status_code=401, headers={"WWW-Authenticate": challenge}
            )
        target = "/signin?next=" + quote(_back_after_sign_in(request), safe="/")
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(BadPeriod)
    async def _bad_period(request: Request, exc: BadPeriod) -> Response:
        return error_response(request, 400, str(exc), await _reader(request))

    @app.exception_handler(PageOutOfRange)
    async def _past_end(request: Request, exc: PageOutOfRange) -> Response:
        return error_response(request, 404, str(exc), await _reader(request))

    @app.exception_handler(SQLAlchemyTimeout)
    @app.exception_handler(OperationalError)
    async def _store_busy(request: Request, exc: Exception) -> Response:
        if is_disk_full(exc):
            return disk_full_response(request, exc)
        if _unreachable(exc):  # the database server is down or cannot be reached
            log.warning("the database cannot be reached (%s): %s", _target(request), _first(exc))
            message = "The database cannot be reached just now; try again in a minute."
        else:  # a full pool or a locked database: say so at once, the client retries
            log.warning("store busy on %s: %s", _target(request), _first(exc))
            message = "The server is busy; try again in a few seconds."
        response = error_response(request, 503, message)
        response.headers["Retry-After"] = RETRY_AFTER
        return response

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        if is_disk_full(exc):  # e.g. OSError ENOSPC from a file write
            return disk_full_response(request, exc)
        log.exception("unhandled error on %s", log_target(request.scope, with_query=False))
        return error_response(request, 500, "An unexpected error occurred; it has been logged.")


_UNREACHABLE = (
    "connection refused", "could not connect", "connection failed", "server closed the connection",
    "connection is bad", "terminating connection", "no route to host", "timeout expired",
    "the database system is starting up", "the database system is shutting down",
)  # fmt: skip


def _unreachable(exc: Exception) -> bool:
    """An error that says the database server cannot be reached (not that it is busy)."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    return any(words in text for words in _UNREACHABLE)


def _target(request: Request) -> str:
    """The request's path as a log line may show it (secret keys out, control characters
    escaped)."""
    return log_target(request.scope, with_query=False)


def _first(exc: Exception) -> str:
    """An error's first line (a driver's message can run to many)."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0] if text else repr(exc)


DISK_FULL_MESSAGE = (
    "The server's disk is full, so this change was not saved (what was saved before is safe). "
    "Try again later."
)


def disk_full_response(request: Request, exc: Exception) -> Response:
    """507 Insufficient Storage with Retry-After: the write was refused, reads go on."""
    # One line, without the statement's parameters (what a user typed, tokens).
    log.error("disk full on %s %s: %s", request.method, _target(request), _first(exc))
    response = error_response(request, 507, DISK_FULL_MESSAGE)
    response.headers["Retry-After"] = "60"  # space is freed by a person, not in seconds
    return response


def not_json(request: Request, exc: RequestValidationError) -> str | None:
    """Why a body was not read, when a route that takes JSON was sent another media type."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not media or media == "application/json" or media.endswith("+json"):
        return None
    whole = [e for e in exc.errors() if tuple(e.get("loc", ())) == ("body",)]
    if not any(e.get("type") in ("model_attributes_type", "dict_type") for e in whole):
        return None
    return f"send the body as JSON (Content-Type: application/json), not {media[:60]}"


def validation_message(exc: RequestValidationError) -> str:
    """One readable sentence per invalid parameter."""
    parts = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":  # its location is a character offset
            parts.append(f"the body is not valid JSON ({err.get('ctx', {}).get('error', '')})")
            continue
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body"))
        if not where and err.get("type") == "missing":
            parts.append("send a JSON body: the API's page, /docs, shows its fields")
            continue
        parts.append(f"{where or 'request'}: {_explain(err)}")
    return "; ".join(dict.fromkeys(parts)) or "invalid request"


_CHOICES_RE = re.compile(r"^\^\(([\w|]+)\)\$$")


def _explain(err: Mapping[str, Any]) -> str:
    """What is wrong with one value, in words (a pattern of choices is named as its choices)."""
    message = str(err.get("msg", "invalid"))
    if err.get("type") != "string_pattern_mismatch":
        return message
    pattern, given = str((err.get("ctx") or {}).get("pattern", "")), repr(err.get("input", ""))
    choices = _CHOICES_RE.match(pattern)
    if choices:
        return f"use one of {', '.join(c for c in choices[1].split('|') if c)}, not {given}"
    if pattern in (r"^\d*$", r"^\d+$"):
        return f"give a number, not {given}"
    return message
