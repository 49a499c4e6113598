"""The app factory: wires settings, the store, routes, error pages and security headers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from paperfeed.secret import secret_key
from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.web.baseurl import BaseUrlCheck
from paperfeed.web.deps import SignInRequired, Site, html
from paperfeed.web.middleware import SiteMiddleware
from paperfeed.web.periods import BadPeriod
from paperfeed.web.views import PageOutOfRange

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"


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
    app.state.site = Site(settings, engine or open_store(settings), secret)
    app.add_middleware(SiteMiddleware, secure=settings.public_url.startswith("https://"))
    if settings.base_url:
        app.add_middleware(BaseUrlCheck, base_url=settings.base_url)
    _add_error_handlers(app)
    _add_routes(app)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    app.state.site.close()


def _add_routes(app: FastAPI) -> None:
    from paperfeed.digest.web import router as digest_router
    from paperfeed.web import api, auth, feeds, pages

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_api_route("/docs", _docs, include_in_schema=False)
    app.include_router(api.router)
    app.include_router(feeds.router)
    app.include_router(auth.router)
    app.include_router(digest_router)
    app.include_router(pages.router)


def _docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="paperfeed API",
        swagger_js_url="/static/swagger/swagger-ui-bundle.js",
        swagger_css_url="/static/swagger/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
    )


def wants_json(request: Request) -> bool:
    """API and feed clients get JSON errors; people get an error page."""
    return request.url.path.startswith(("/api/", "/feeds/")) or request.url.path.endswith("/bibtex")


def error_response(request: Request, status: int, message: str) -> Response:
    """A 4xx/5xx answer with a message, as JSON or as a page."""
    if wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    site: Site = request.app.state.site
    heading = {404: "Not found", 403: "Not allowed", 429: "Slow down"}.get(status, "Bad request")
    if status >= 500:
        heading = "Something went wrong"
    body = site.render("error.html", status=status, heading=heading, message=message, user=None)
    return html(site, request, body, status)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = f"There is nothing at {request.url.path}."
        response = error_response(request, exc.status_code, message)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        status = 422 if wants_json(request) else 400
        return error_response(request, status, validation_message(exc))

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        if wants_json(request):
            return JSONResponse({"detail": "sign in first"}, status_code=401)
        target = "/signin?next=" + quote(request.url.path, safe="/")
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(BadPeriod)
    async def _bad_period(request: Request, exc: BadPeriod) -> Response:
        return error_response(request, 400, str(exc))

    @app.exception_handler(PageOutOfRange)
    async def _past_end(request: Request, exc: PageOutOfRange) -> Response:
        return error_response(request, 404, str(exc))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        return error_response(request, 500, "An unexpected error occurred; it has been logged.")


def validation_message(exc: RequestValidationError) -> str:
    """One readable sentence per invalid parameter."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body"))
        parts.append(f"{where or 'request'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"
