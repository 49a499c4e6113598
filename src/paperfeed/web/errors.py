"""Error answers: JSON for machines, a page for people, and the app's exception handlers."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote, urlsplit

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from paperfeed.store.accounts import User, session_suspended
from paperfeed.store.api_tokens import is_personal
from paperfeed.store.health import unreachable
from paperfeed.util import is_disk_full, site_path
from paperfeed.web.access import log_target
from paperfeed.web.auth import SUSPENDED, safe_next
from paperfeed.web.deps import SignInRequired, Site, for_machines, get_user, html, session_token
from paperfeed.web.limits import RETRY_AFTER
from paperfeed.web.periods import BadPeriod
from paperfeed.web.validation import not_json, validation_message
from paperfeed.web.views import PageOutOfRange

log = logging.getLogger("paperfeed.web.app")  # the name log settings and tests know


def wants_json(request: Request) -> bool:
    """API and feed clients get JSON errors, and so does any request with a bearer token (a
    script fetching the library's export); people get an error page. (A browser behind a
    proxy's Basic authentication sends an Authorization header too: not a bearer one.)"""
    bearer = request.headers.get("authorization", "").lstrip().lower().startswith("bearer")
    return bearer or for_machines(request.url.path)


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
            elif request.headers.get("authorization", "").strip():
                detail += " (a token goes in the header as `Authorization: Bearer TOKEN`)"
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
        if unreachable(exc):  # the database server is down or cannot be reached
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
