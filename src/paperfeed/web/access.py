"""One access-log line per request (plain or JSON), written to the `paperfeed.access` logger."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from datetime import UTC, datetime
from ipaddress import IPv4Address, IPv6Address, ip_address
from urllib.parse import quote, unquote_plus

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperfeed.text import mask_addresses
from paperfeed.web.baseurl import PREFIX_KEY

log = logging.getLogger("paperfeed.access")
# A request its client gave up on before any answer (a browser's favicon fetch cut short by the
# next page) was logged as a 500, which no one served: 499, as nginx logs it.
CLIENT_LEFT = 499
# Signed links carry their authority in ?token=… (invite links in ?invite=…), and private feeds
# and shared collections in their path: never write one to a log. The app reads a name as
# decoded (`tok%65n=` is `token=`), so the log compares it decoded too.
_SECRET_PARAMS = frozenset({"token", "invite"})
# The words a reader searched for (PAPERFEED_ACCESS_LOG_QUERIES=redact-search).
SEARCH_PARAMS = frozenset({"q", "author"})
# A link back (/signin?next=/search?q=…) carries a page's own query: redacted alike.
_NESTED_PARAMS = frozenset({"next"})
_SECRET_PATH_RE = re.compile(r"^(/feeds/for-you/|/c/|/api/me/followed-collections/)[^/.]+")
# A path is the client's text: quotes, backslashes and control characters (a newline would
# start a forged line, an escape sequence would colour a terminal) are written escaped.
_UNSAFE_RE = re.compile(r'[\x00-\x1f\x7f-\x9f"\\]')


def hidden_params(setting: str) -> frozenset[str]:
    """The query parameters whose values PAPERFEED_ACCESS_LOG_QUERIES keeps out of the log."""
    if setting == "keep":
        return frozenset()
    return SEARCH_PARAMS if setting == "redact-search" else frozenset(setting.split(","))


def log_target(scope: Scope, with_query: bool = True, hidden: frozenset[str] = frozenset()) -> str:
    """The path (and query) the client asked for, as a log line may show it: secrets (and the
    values of `hidden` parameters) out, text escaped; under a base URL's path, with that path."""
    target = _SECRET_PATH_RE.sub(r"\1[redacted]", scope["path"])
    target = str(scope.get(PREFIX_KEY, "")) + target
    if with_query:
        query = _redacted(scope.get("query_string", b"").decode("latin-1"), _SECRET_PARAMS | hidden)
        target += f"?{mask_addresses(query)}" if query else ""  # ?email=… is a reader's address
    return _UNSAFE_RE.sub(lambda m: f"\\x{ord(m[0]):02x}", target)


def _redacted(query: str, names: frozenset[str]) -> str:
    """The query string with the value of every parameter in `names` replaced."""
    pairs = query.split("&")
    for i, pair in enumerate(pairs):
        name, eq, value = pair.partition("=")
        if eq and unquote_plus(name) in names:
            pairs[i] = f"{name}=[redacted]"
        elif eq and unquote_plus(name) in _NESTED_PARAMS:
            pairs[i] = f"{name}={_nested(value, names)}"
    return "&".join(pairs)


def _nested(value: str, names: frozenset[str]) -> str:
    """A link back, its own query's values in `names` replaced (as it was when none are)."""
    path, asks, query = unquote_plus(value).partition("?")
    redacted = _redacted(query, names) if asks else query
    return value if redacted == query else quote(f"{path}?{redacted}", safe="/[]")


def short_address(host: str) -> str:
    """The client's address with an IPv4 address's last octet, an IPv6 address's last 80 bits,
    zeroed (a name, such as a Unix socket peer's, as it is)."""
    try:
        address = ip_address(host)
    except ValueError:
        return host
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if isinstance(address, IPv4Address):
        return str(IPv4Address(int(address) & ~0xFF))
    return str(IPv6Address(int(address) >> 80 << 80))


class AccessLog:
    """Logs method, path, status, size, duration and client of every HTTP request."""

    def __init__(
        self, app: ASGIApp, style: str, hidden: frozenset[str] = frozenset(), short: bool = False
    ) -> None:
        self.app, self.style = app, style
        self.hidden, self.short = hidden, short  # query values redacted; addresses shortened

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, seen = time.perf_counter(), {"status": 500, "bytes": 0, "started": 0}

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"], seen["started"] = message["status"], 1
            elif message["type"] == "http.response.body":
                seen["bytes"] += len(message.get("body", b""))
            await send(message)

        async def listen() -> Message:
            message = await receive()
            if message["type"] == "http.disconnect" and not seen["started"]:
                seen["status"] = CLIENT_LEFT  # unless the app still starts a response
            return message

        try:
            await self.app(scope, listen, watch)
        except asyncio.CancelledError:  # the server dropped the request: its client left
            if not seen["started"]:
                seen["status"] = CLIENT_LEFT
            raise
        finally:
            ms = (time.perf_counter() - started) * 1000
            log.info(self._line(scope, seen["status"], seen["bytes"], ms))

    def _line(self, scope: Scope, status: int, size: int, ms: float) -> str:
        client = scope.get("client")
        target = log_target(scope, hidden=self.hidden)
        host = client[0] if client else "-"
        host = short_address(host) if self.short else host
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
