"""How the site is reached: the configured base URL and the reverse proxy in front.

Says so when visitors reach the site at another address than PAPERFEED_BASE_URL, refuses a base
URL with a path (the site serves at a host's root), and names FORWARDED_ALLOW_IPS as ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from ipaddress import ip_address
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Health checks and Prometheus ask a node by its own address, not the public one.
OPS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


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


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def proxied_locally(base_url: str, url_or_host: str) -> bool:
    """True when the base URL is a public address and `url_or_host` this machine's loopback:
    the reverse proxy (or a local tool) reaching the server, as a deployment should."""
    return not is_loopback(address(base_url)[0]) and is_loopback(address(url_or_host)[0])


def path_problem(base_url: str) -> str | None:
    """Why a base URL with a path cannot work (None when it has none)."""
    parts = urlsplit(base_url)
    if not parts.path.strip("/"):
        return None
    return (
        f"PAPERFEED_BASE_URL={base_url} has a path ({parts.path}), but paperfeed's pages, forms "
        f"and redirects are served at a host's root: use {parts.scheme}://{parts.netloc} or a "
        "host of its own "
        "(e.g. https://papers.example.org), and proxy it to paperfeed as a whole"
    )


def ignored_forwarded_allow_ips(env: Mapping[str, str], trusted_proxies: str) -> str | None:
    """What to say when uvicorn's FORWARDED_ALLOW_IPS is set: paperfeed does not read it."""
    value = env.get("FORWARDED_ALLOW_IPS")
    if value is None:
        return None
    if trusted_proxies.strip():
        return (
            f"FORWARDED_ALLOW_IPS={value} is ignored: paperfeed trusts X-Forwarded-* from "
            f"PAPERFEED_TRUSTED_PROXIES={trusted_proxies} only (remove FORWARDED_ALLOW_IPS)"
        )
    return (
        f"FORWARDED_ALLOW_IPS={value} is ignored, so every visitor has the proxy's address: "
        f"set PAPERFEED_TRUSTED_PROXIES={value} instead"
    )


class BaseUrlCheck:
    """Logs one warning at the first request that arrives at another host or port than
    PAPERFEED_BASE_URL, whose links (emails, feeds) would then point elsewhere.

    Requests for the ops endpoints, and requests over loopback when the base URL is a public
    address (the proxy, a health check on the machine), are no visitors and not checked.
    """

    def __init__(self, app: ASGIApp, base_url: str) -> None:
        self.app, self.base_url, self.warned = app, base_url, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.warned and scope["type"] == "http" and scope["path"] not in OPS_PATHS:
            self._check(scope)
        await self.app(scope, receive, send)

    def _check(self, scope: Scope) -> None:
        headers = dict(scope.get("headers") or [])
        host = (headers.get(b"x-forwarded-host") or headers.get(b"host") or b"").decode("latin-1")
        host = host.split(",")[0].strip()
        if not host or same_address(self.base_url, host) or proxied_locally(self.base_url, host):
            return
        self.warned = True
        log.warning(
            "a request arrived at %s, but links in emails and feeds use "
            "PAPERFEED_BASE_URL=%s; set it to the address visitors use",
            host,
            self.base_url,
        )
