"""Cross-origin calls (CORS) to the JSON API and the feeds, by Starlette's CORSMiddleware.

Any site may read what is public: GET and HEAD of /api, the feeds, a paper's BibTeX and
Markdown, and /openapi.json.
A browser extension or web app at one of the origins in PAPERFEED_CORS_ORIGINS may also send a
bearer token (Authorization) and write. Cookies never count across origins (no
Access-Control-Allow-Credentials), so another site cannot act as a signed-in visitor.
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

# What other origins may call: the API, the feeds and the machine-readable copies of a paper.
_SHARED = re.compile(r"/api/|/feeds/|/openapi\.json$|/c/[^/]+/feed\.|/papers/.+(/bibtex|\.md)$")
_READS = ("GET", "HEAD")
# Response headers a cross-origin script may read besides the CORS-safelisted ones.
EXPOSED = (
    "ETag",
    "Link",
    "Location",
    "Retry-After",
    "WWW-Authenticate",
    "X-Search-Suggestion",
    "X-Total-Count",
)
REFUSED = (
    "this cross-origin request is not allowed ({what}): any site may GET the API and the feeds; "
    "a bearer token and writes come only from the origins the server's PAPERFEED_CORS_ORIGINS "
    "names"
)


class _Policy(CORSMiddleware):
    """CORSMiddleware whose refused preflight says why in the API's error shape."""

    def preflight_response(self, request_headers: Headers) -> Response:
        answer = super().preflight_response(request_headers)
        if answer.status_code < 400:
            return answer
        what = bytes(answer.body).decode().removeprefix("Disallowed CORS ")
        kept = {k: v for k, v in answer.headers.items() if k.startswith(("access-control", "vary"))}
        return JSONResponse({"detail": REFUSED.format(what=what)}, 400, headers=kept)


class Cors:
    """Answers preflights and marks responses readable: public reads for any origin, every
    call (bearer token included) for the configured origins, nothing for other paths."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.public = _Policy(
            app,
            allow_origins=["*"],
            allow_methods=_READS,
            allow_headers=["If-None-Match"],
            expose_headers=EXPOSED,
        )
        self.trusted = _Policy(
            app,
            allow_origins=origins,
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type", "If-None-Match"],
            expose_headers=EXPOSED,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _SHARED.match(scope["path"]):
            await self.app(scope, receive, send)
            return
        origin = Headers(scope=scope).get("origin")
        if origin is not None and self.trusted.is_allowed_origin(origin):
            await self.trusted(scope, receive, send)
        elif scope["method"] in (*_READS, "OPTIONS"):
            await self.public(scope, receive, send)
        else:  # another origin's write: answered, but not readable by its page
            await self.app(scope, receive, send)


def origins(setting: str) -> list[str]:
    """The origins of a PAPERFEED_CORS_ORIGINS value."""
    return [o for o in (part.strip() for part in setting.split(",")) if o]
