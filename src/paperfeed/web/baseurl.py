"""Say so when visitors reach the site at another address than the configured base URL."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def address(url: str) -> tuple[str, int | None]:
    """(host name, port) of a URL; the port is None where the URL does not say it."""
    parts = urlsplit(url if "//" in url else f"//{url}")
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.hostname or "").lower(), port


def same_address(base_url: str, host_header: str) -> bool:
    """True when a request's Host (or X-Forwarded-Host) names the base URL's host and port."""
    host, port = address(base_url)
    port = port or _DEFAULT_PORTS.get(urlsplit(base_url).scheme)
    seen_host, seen_port = address(host_header)
    return seen_host == host and (seen_port is None or seen_port == port)


class BaseUrlCheck:
    """Logs one warning at the first request that arrives at another host or port than
    PAPERFEED_BASE_URL, whose links (emails, feeds) would then point elsewhere."""

    def __init__(self, app: ASGIApp, base_url: str) -> None:
        self.app, self.base_url, self.warned = app, base_url, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.warned and scope["type"] == "http":
            self._check(scope)
        await self.app(scope, receive, send)

    def _check(self, scope: Scope) -> None:
        headers = dict(scope.get("headers") or [])
        host = (headers.get(b"x-forwarded-host") or headers.get(b"host") or b"").decode("latin-1")
        if host and not same_address(self.base_url, host.split(",")[0].strip()):
            self.warned = True
            log.warning(
                "a request arrived at %s, but links in emails and feeds use "
                "PAPERFEED_BASE_URL=%s; set it to the address visitors use",
                host,
                self.base_url,
            )
