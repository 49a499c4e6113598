"""ETags for every whole API answer that its route did not tag (comments, collections, users,
your library, a paper's Markdown and BibTeX): a client polling one gets a 304 until it changes.

The tag is weak (`W/"..."`): it names the JSON, not the bytes that gzip may make of it.
"""

from __future__ import annotations

import hashlib
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# What a script polls: the JSON API, and a paper as Markdown or BibTeX.
_TAGGED = re.compile(r"/api/|/papers/[^/]+(?:\.md|/bibtex)$")
_DROPPED = {b"content-length", b"content-type"}  # a 304 has no body to describe


class ETags:
    """Tags a GET's 200 answer (one whole body, no ETag of its own) with a hash of its body,
    and answers 304 without the body when the client's If-None-Match names that tag."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not _TAGGED.match(scope["path"]):
            await self.app(scope, receive, send)
            return
        held = _held(scope)
        start: Message | None = None
        chunks: list[bytes] = []

        async def tag_whole_bodies(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start" and _taggable(message):
                start = message
                return
            if start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                await _send_tagged(start, b"".join(chunks), held, send)

        await self.app(scope, receive, tag_whole_bodies)


def _taggable(start: Message) -> bool:
    """A 200 with its whole length known (not streamed) and no validator of its own."""
    names = {name.lower() for name, _value in start.get("headers", [])}
    return start["status"] == 200 and b"etag" not in names and b"content-length" in names


def _held(scope: Scope) -> set[str]:
    """The tags a client's If-None-Match names, compared weakly (RFC 9110 13.1.2)."""
    value = b",".join(v for k, v in scope["headers"] if k == b"if-none-match").decode("latin-1")
    return {tag.strip().removeprefix("W/") for tag in value.split(",") if tag.strip()}


async def _send_tagged(start: Message, body: bytes, held: set[str], send: Send) -> None:
    tag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = [*start.get("headers", []), (b"etag", f"W/{tag}".encode())]
    if tag in held or "*" in held:
        kept = [(k, v) for k, v in headers if k.lower() not in _DROPPED]
        await send({"type": "http.response.start", "status": 304, "headers": kept})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": body})
