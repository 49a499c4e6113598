"""Cross-origin calls (CORS) to the JSON API and the feeds, by Starlette's CORSMiddleware.

Any site may read what is public: GET and HEAD of /api, the feeds, a paper's BibTeX and
Markdown, and /openapi.json.
On a private site (PAPERFEED_PRIVATE) no other site may: only the configured origins, each
answer naming the one origin it is for.
A browser extension or web app at one of the origins in PAPERFEED_CORS_ORIGINS may also send a
bearer token (Authorization) and write. Cookies never count across origins (no
Access-Control-Allow-Credentials), so another site cannot act as a signed-in visitor.
"""

from __future__ import annotations

import re
from functools import partial

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# What other origins may call: the API, the feeds and the machine-readable copies of a paper.
_SHARED = re.compile(r"/api/|/feeds/|/openapi\.json$|/c/[^/]+/feed\.|/papers/.+(/bibtex|\.md)$")
_READS = ("GET", "HEAD")
_PREFLIGHT = "access-control-request-method"
# Response headers a cross-origin script may read besides the CORS-safelisted ones.
EXPOSED = (
    "ETag",
    "Link",
    "Location",
    "Retry-After",
    "WWW-Authenticate",
    "X-Hidden-By-Mutes",
    "X-Next-Cursor",
    "X-Not-Found",
    "X-Search-Degraded",
    "X-Search-Fallback",
    "X-Search-Mode",
    "X-Search-Suggestion",
    "X-Total-Count",
)
REFUSED = (
    "this cross-origin request is not allowed ({what}): any site may GET the API and the feeds; "
    "a bearer token and writes come only from the origins the server's PAPERFEED_CORS_ORIGINS "
    "names"
)


class _Policy(CORSMiddleware):
    """CORSMiddleware's preflight, whose refusal says why in the API's error shape."""

    def preflight_response(self, request_headers: Headers) -> Response:
        answer = super().preflight_response(request_headers)
        if answer.status_code < 400:
            return answer
        what = bytes(answer.body).decode().removeprefix("Disallowed CORS ")
        kept = {k: v for k, v in answer.headers.items() if k.startswith(("access-control", "vary"))}
        return JSONResponse({"detail": REFUSED.format(what=what)}, 400, headers=kept)


class Cors:
    """Answers preflights (reads for any origin; every call, a bearer token included, for the
    configured origins) and marks answers readable, on the API's and the feeds' paths only.

    An answer says `Access-Control-Allow-Origin: *` whoever asks, as GitHub's API does: it is
    the same for every origin (no Vary: Origin, so a shared cache keeps one copy of a feed) and
    never lets cookies through; what a page may send is settled by the preflight.
    """

    def __init__(self, app: ASGIApp, origins: list[str], private: bool = False) -> None:
        self.app, self.private = app, private
        readable = {"access-control-allow-origin": "*"}
        self.headers = readable | {"access-control-expose-headers": ", ".join(EXPOSED)}
        self.public = _Policy(
            app, allow_origins=["*"], allow_methods=_READS, allow_headers=["If-None-Match"]
        )
        self.trusted = _Policy(
            app,
            allow_origins=origins,
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type", "If-None-Match"],
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _SHARED.match(scope["path"]):
            await self.app(scope, receive, send)
            return
        asked = Headers(scope=scope)
        origin = asked.get("origin")
        trusted = origin is not None and self.trusted.is_allowed_origin(origin)
        if origin is not None and scope["method"] == "OPTIONS" and asked.get(_PREFLIGHT):
            policy = self.trusted if trusted or self.private else self.public
            await policy.preflight_response(asked)(scope, receive, send)
        elif self.private:  # readable by the configured origins only, each for itself
            readable = partial(self._readable_by, origin, send) if trusted else send
            await self.app(scope, receive, readable)
        elif trusted or scope["method"] in _READS:
            await self.app(scope, receive, partial(self._readable, send))
        else:  # another origin's write: answered, but not readable by its page
            await self.app(scope, receive, send)

    async def _readable(self, send: Send, message: Message) -> None:
        if message["type"] == "http.response.start":
            MutableHeaders(scope=message).update(self.headers)
        await send(message)

    async def _readable_by(self, origin: str | None, send: Send, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            headers.update(self.headers | {"access-control-allow-origin": origin or "null"})
            headers.add_vary_header("Origin")
        await send(message)


def origins(setting: str) -> list[str]:
    """The origins of a PAPERFEED_CORS_ORIGINS value."""
    return [o for o in (part.strip() for part in setting.split(",")) if o]
