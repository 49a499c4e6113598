"""Overload protection: a bounded number of requests at once, a small queue, fast 503s."""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

RETRY_AFTER = "2"
_BUSY = b"The server is busy; try again in a few seconds.\n"


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
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        if self._limiter is None:  # made inside the event loop that serves the requests
            self._limiter = anyio.CapacityLimiter(self.slots)
        if not await self._enter(self._limiter):
            await busy(send)
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


async def busy(send: Send) -> None:
    """Answer 503 Service Unavailable with Retry-After."""
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(_BUSY)).encode()),
        (b"retry-after", RETRY_AFTER.encode()),
        (b"cache-control", b"no-store"),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": _BUSY})
