"""What every subscription page uses: the DigestSite, the page or JSON answer, form checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment
from sqlalchemy import Engine

from paperfeed.digest.compose import Embeddings
from paperfeed.settings import Settings
from paperfeed.store.accounts import User
from paperfeed.util import site_path


def _nobody(request: Request, data: Mapping[str, object]) -> int | None:
    return None


async def _no_reader(request: Request) -> User | None:
    return None


def _unsigned(request: Request, body: str) -> str:
    return body


@dataclass(frozen=True)
class DigestSite:
    """What the subscription pages need from the app that serves them."""

    settings: Settings
    engine: Engine
    search: Callable[[], Embeddings | None]  # the site's shared search service, made on demand
    env: Environment  # the site's one page environment (`paperfeed.templating`)
    # The signed-in user a subscribe request speaks for (the site's sessions), or None; run in
    # a worker thread. A subscription made while signed in is linked to that account.
    account: Callable[[Request, Mapping[str, object]], int | None] = _nobody
    # Who is signed in, for the page header; and how the site puts its CSRF token in the
    # header's forms (`csrf` is the placeholder `sign` replaces).
    reader: Callable[[Request], Awaitable[User | None]] = _no_reader
    sign: Callable[[Request, str], str] = _unsigned
    csrf: str = ""


# The request being answered and its signed-in reader, for the page header (set per request).
_HERE: ContextVar[tuple[Request, User | None] | None] = ContextVar("digest_page", default=None)


async def _note_reader(request: Request) -> None:
    """Remember who is signed in, so that these pages' header shows them as every page does."""
    ctx = request.app.state.digest
    reader = await ctx.reader(request) if isinstance(ctx, DigestSite) else None
    _HERE.set((request, reader))


def digest_router() -> APIRouter:
    """A router for these pages: tagged "digests", each request noting who is signed in."""
    return APIRouter(tags=["digests"], dependencies=[Depends(_note_reader)])


def _ctx(request: Request) -> DigestSite:
    site = request.app.state.digest
    if not isinstance(site, DigestSite):
        raise TypeError("the app must set app.state.digest to a DigestSite")
    return site


def wants_json(request: Request) -> bool:
    """An API client: it asks for JSON (Accept), or sends a bearer token, and not for a page."""
    accept = request.headers.get("accept", "").lower()
    bearer = request.headers.get("authorization", "").lower().startswith("bearer ")
    return "text/html" not in accept and ("json" in accept or bearer)


def _page(ctx: DigestSite, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    here = _HERE.get()
    user = here[1] if here else None
    page = ctx.env.get_template(f"pages/{template}.html")
    body = page.render(csrf=ctx.csrf if user else "", user=user, **context)
    if here and user:
        body = ctx.sign(here[0], body)
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return HTMLResponse(body, status_code=status, headers=headers)


def _message(ctx: DigestSite, title: str, *lines: str, status: int = 200, **links: str) -> Response:
    """A page that says what happened; to an API client, JSON as the rest of the API answers
    (`{"detail": ...}`, and the page's title beside it when all went well)."""
    here = _HERE.get()
    if here and wants_json(here[0]):
        said = {"detail": " ".join(lines)} | ({"title": title} if status < 400 else {})
        return JSONResponse(said, status, headers={"Cache-Control": "no-store"})
    return _page(ctx, "message", status, title=title, lines=lines, **links)


def same_origin(request: Request, settings: Settings) -> bool:
    """False when the browser says the post came from another site."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return True  # not a browser: no cookies or ambient authority to abuse
    allowed = {_origin(settings.public_url), _origin(str(request.base_url))}
    return _origin(source) in allowed


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _came_from(request: Request, settings: Settings) -> str:
    """The page of this site a form was posted from ("" when not said, or elsewhere)."""
    referer = request.headers.get("referer", "")
    parts = urlsplit(referer)
    allowed = {_origin(settings.public_url), _origin(str(request.base_url))}
    path = site_path(settings.root_path, parts.path) or ""  # the site's own path, if it is one
    local = path.startswith("/") and not path.startswith(("//", "/\\"))
    if _origin(referer) not in allowed or not local or path == request.url.path:
        return ""
    return path + (f"?{parts.query}" if parts.query else "")


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


async def _form(request: Request) -> dict[str, object]:
    form = await request.form()
    return {key: str(form.getlist(key)[-1]) for key in form}


def _cross_site(ctx: DigestSite) -> Response:
    return _message(ctx, "Not sent", "This form was posted from another site.", status=403)
