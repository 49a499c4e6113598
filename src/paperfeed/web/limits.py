"""Overload protection: bounded concurrent requests with a small queue (fast 503s), body limits."""

from __future__ import annotations

import json
from html import escape

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

RETRY_AFTER = "2"
_BUSY = b"The server is busy; try again in a few seconds.\n"
_BUSY_JSON = json.dumps({"detail": _BUSY.decode().strip()}).encode()
# What a load balancer and a monitor ask: answered past the queue, so that a busy server is
# not taken for a dead one (they read nothing heavy).
UNQUEUED = ("/healthz", "/readyz", "/metrics")


class ConcurrencyLimit:
    """Lets `slots` requests run at once and `queue` more wait up to `wait` seconds.

    Everything beyond answers 503 with Retry-After at once, so overload never piles up threads
    and pooled connections, and the site is itself again the moment load drops (issue 9).
    """

    def __init__(self, app: ASGIApp, slots: int, queue: int, wait: float) -> None:
        self.app, self.slots, self.queue, self.wait = app, slots, queue, wait
        self._limiter: anyio.CapacityLimiter | None = None
        self._waiting = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"].startswith("/static/")
            or scope["path"] in UNQUEUED
        ):
            await self.app(scope, receive, send)
            return
        if self._limiter is None:  # made inside the event loop that serves the requests
            self._limiter = anyio.CapacityLimiter(self.slots)
        if not await self._enter(self._limiter):
            await busy(send, scope["path"].startswith("/api/"))
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._limiter.release()

    async def _enter(self, limiter: anyio.CapacityLimiter) -> bool:
        try:
            limiter.acquire_nowait()
            return True
        except anyio.WouldBlock:
            pass
        if self._waiting >= self.queue:
            return False
        self._waiting += 1
        try:
            with anyio.move_on_after(self.wait):
                await limiter.acquire()
                return True
            return False
        finally:
            self._waiting -= 1


async def busy(send: Send, as_json: bool = False) -> None:
    """Answer 503 Service Unavailable with Retry-After (to the API as its other errors are)."""
    body = _BUSY_JSON if as_json else _BUSY
    kind = b"application/json" if as_json else b"text/plain; charset=utf-8"
    headers = [
        (b"content-type", kind),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", RETRY_AFTER.encode()),
        (b"cache-control", b"no-store"),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuses request bodies over `max_bytes` with 413, before reading them.

    A declared Content-Length is checked up front; a chunked body is counted as it streams and
    stops at the limit. A route that takes larger bodies (an upload) gets its own allowance from
    `allow_body`.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, root: str = "") -> None:
        self.app, self.max_bytes, self.root = app, max_bytes, root  # root: the site's path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = _allowance(scope, self.max_bytes)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await too_large(send, limit, _from_a_page(scope), self.root)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise HTTPException(413, _too_large_text(limit))
            return message

        await self.app(scope, counted, send)


def allow_body(app: Starlette, path: str, max_bytes: int) -> None:
    """Let requests to `path` (exactly) send bodies up to `max_bytes`."""
    limits: dict[str, int] = getattr(app.state, "body_limits", {})
    app.state.body_limits = limits | {path: max_bytes}


def _allowance(scope: Scope, default: int) -> int:
    app = scope.get("app")
    limits = getattr(getattr(app, "state", None), "body_limits", None) or {}
    return int(limits.get(scope["path"], default))


def _content_length(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _too_large_text(limit: int) -> str:
    return f"the request body is larger than {limit:,} bytes"


def _from_a_page(scope: Scope) -> bool:
    """Whether a person's browser sent the form (not an API client): it gets a page."""
    accept = b""
    for key, value in scope["headers"]:
        if key == b"accept":
            accept = value
    return b"text/html" in accept and not scope["path"].startswith("/api/")


def _too_large_page(limit: int, root: str) -> bytes:
    megabytes = f"{limit / 1_000_000:g} MB"
    text = (
        f"<p>What this form sent is larger than {megabytes} ({limit:,} bytes), more than this "
        "page takes. Nothing was changed. A library export can be imported in parts: one "
        "collection, or a reference manager's selection, at a time.</p>"
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<title>Too large · paperfeed</title><link rel="stylesheet" href="{root}/static/site.css">'
        '</head><body><main id="main" class="error"><h1>Too large</h1>'
        f'{text}<p><a href="{root}/">paperfeed</a></p></main></body></html>'
    ).encode()


async def too_large(send: Send, limit: int, page: bool = False, root: str = "") -> None:
    """Answer 413 Content Too Large without reading the body (a page for a browser's form)."""
    body = (
        _too_large_page(limit, escape(root))
        if page
        else json.dumps({"detail": _too_large_text(limit)}).encode()
    )
    kind = b"text/html; charset=utf-8" if page else b"application/json"
    headers = [
        (b"content-type", kind),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),  # the unread body must not be taken for the next request
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
