"""One access-log line per request (plain or JSON), written to the `paperfeed.access` logger."""

from __future__ import annotations

import json
import logging
import re
import time
from datetime import UTC, datetime
from urllib.parse import unquote_plus

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperfeed.text import mask_addresses
from paperfeed.web.baseurl import PREFIX_KEY

log = logging.getLogger("paperfeed.access")
# Signed links carry their authority in ?token=… (invite links in ?invite=…), and private feeds
# and shared collections in their path: never write one to a log. The app reads a name as
# decoded (`tok%65n=` is `token=`), so the log compares it decoded too.
_SECRET_PARAMS = frozenset({"token", "invite"})
_SECRET_PATH_RE = re.compile(r"^(/feeds/for-you/|/c/)[^/.]+")
# A path is the client's text: quotes, backslashes and control characters (a newline would
# start a forged line, an escape sequence would colour a terminal) are written escaped.
_UNSAFE_RE = re.compile(r'[\x00-\x1f\x7f-\x9f"\\]')


def log_target(scope: Scope, with_query: bool = True) -> str:
    """The path (and query) the client asked for, as a log line may show it: secrets out, text
    escaped; under a base URL's path, with that path."""
    target = _SECRET_PATH_RE.sub(r"\1[redacted]", scope["path"])
    target = str(scope.get(PREFIX_KEY, "")) + target
    if with_query:
        query = _redacted(scope.get("query_string", b"").decode("latin-1"))
        target += f"?{mask_addresses(query)}" if query else ""  # ?email=… is a reader's address
    return _UNSAFE_RE.sub(lambda m: f"\\x{ord(m[0]):02x}", target)


def _redacted(query: str) -> str:
    """The query string with the value of every secret-bearing parameter replaced."""
    pairs = query.split("&")
    for i, pair in enumerate(pairs):
        name, eq, _ = pair.partition("=")
        if eq and unquote_plus(name) in _SECRET_PARAMS:
            pairs[i] = f"{name}=[redacted]"
    return "&".join(pairs)


class AccessLog:
    """Logs method, path, status, size, duration and client of every HTTP request."""

    def __init__(self, app: ASGIApp, style: str) -> None:
        self.app, self.style = app, style

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, seen = time.perf_counter(), {"status": 500, "bytes": 0}

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
            elif message["type"] == "http.response.body":
                seen["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            ms = (time.perf_counter() - started) * 1000
            log.info(self._line(scope, seen["status"], seen["bytes"], ms))

    def _line(self, scope: Scope, status: int, size: int, ms: float) -> str:
        client = scope.get("client")
        target = log_target(scope)
        host = client[0] if client else "-"
        if self.style == "json":
            when = datetime.now(UTC).isoformat(timespec="milliseconds")
            fields = {"time": when, "client": host, "method": scope["method"], "path": target}
            return json.dumps(fields | {"status": status, "bytes": size, "ms": round(ms, 1)})
        return f'{host} "{scope["method"]} {target}" {status} {size} {ms:.1f}ms'


def log_to_stderr() -> None:
    """Send access-log lines to standard error, one per line (called by `paperfeed serve`)."""
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
