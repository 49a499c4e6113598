"""The app factory: wires settings, the store, routes, error pages and security headers."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache, partial
from html import escape

from anyio import to_thread
from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine
from starlette.routing import BaseRoute
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from paperfeed.digest.web import DigestSite
from paperfeed.secret import secret_key
from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.web import cors, csrf, openapi
from paperfeed.web.access import AccessLog, hidden_params
from paperfeed.web.assets import STATIC, Assets
from paperfeed.web.baseurl import BaseUrlCheck, PrefixMount
from paperfeed.web.compress import LEVEL, MINIMUM
from paperfeed.web.cors import Cors
from paperfeed.web.deps import Site, signed, signed_in_id
from paperfeed.web.errors import (
    DISK_FULL_MESSAGE,
    _add_error_handlers,
    _reader,
    allowed_methods,
    disk_full_response,
    error_response,
    log,
    wants_json,
)
from paperfeed.web.etags import ETags
from paperfeed.web.limits import BodyLimit, ConcurrencyLimit
from paperfeed.web.middleware import Gzip, HeadAsGet, SiteMiddleware, TrailingSlash
from paperfeed.web.private import PrivateGate
from paperfeed.web.validation import not_json, validation_message

__all__ = [
    "DISK_FULL_MESSAGE",
    "allowed_methods",
    "create_app",
    "disk_full_response",
    "docs_csp",
    "error_response",
    "log",
    "not_json",
    "secret_bytes",
    "validation_message",
    "wants_json",
]


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
    from paperfeed.web import library

    library.install(app)  # the personal pages' recommender and upload limits
    app.mount("/static", Assets(directory=STATIC), name="static")
    app.add_api_route("/docs", _docs, include_in_schema=False)
    app.router.routes.extend(_site_routes())


@cache
def _site_routes() -> tuple[BaseRoute, ...]:
    """Every feature's routes, in the order they are matched, made once for the process.

    FastAPI makes an included router's routes afresh for each app that includes it (each
    parameter's validator, hundreds of them): ~0.3 s of the first requests of every app. The
    routes read the site from the request's app, so every app of a process can share them.
    """
    table = APIRouter()
    for router in _routers():
        table.include_router(router)
    return tuple(table.routes)


def _routers() -> tuple[APIRouter, ...]:
    from paperfeed.digest.web import router as digest_router
    from paperfeed.web import (
        account_email,
        admin,
        api,
        api_tokens,
        auth,
        claims,
        collection_sections,
        discuss,
        feeds,
        invites,
        leaving,
        library,
        manifest,
        markdown,
        moderation,
        ops,
        pages,
        reactions,
        set_password,
        shared_lists,
        upvoters,
    )

    return (
        ops.router,
        admin.router,
        invites.router,
        invites.accounts,
        set_password.router,
        account_email.router,
        discuss.api,
        reactions.api,
        api.router,
        feeds.router,
        markdown.router,
        manifest.router,
        auth.router,
        digest_router,
        discuss.router,
        reactions.router,
        claims.router,
        moderation.router,
        leaving.router,
        leaving.api,
        upvoters.router,
        upvoters.api,
        shared_lists.router,
        collection_sections.router,
        shared_lists.api,
        api_tokens.api,
        api_tokens.router,
        *library.ROUTERS,  # personal pages and /api/me; before pages' /papers/{id} catch-all
        pages.router,
    )


def _add_ops(app: FastAPI, settings: Settings) -> None:
    from paperfeed.web import ops

    ops.install(app, settings, app.state.site.engine)  # outermost: times cached pages too


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
