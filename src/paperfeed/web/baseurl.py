"""How the site is reached: the configured base URL and the reverse proxy in front.

Says so when visitors reach the site at another address than PAPERFEED_BASE_URL, serves the site
under the base URL's path when it has one (`PrefixMount`), refuses a base URL that cannot be
served, and names FORWARDED_ALLOW_IPS as ignored.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from ipaddress import ip_address
from urllib.parse import quote, urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperfeed.util import site_path

log = logging.getLogger(__name__)
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Health checks and Prometheus ask a node by its own address, not the public one.
OPS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
# The base URL's path that `PrefixMount` took off a request's path (in the request's scope).
PREFIX_KEY = "paperfeed.prefix"


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


_PATH_SAFE = "/-._~!$&'()*+,;=:@"


def path_problem(base_url: str) -> str | None:
    """Why a base URL cannot be served (None when it can): a query, a fragment, or a path
    that is not plain (`..`, `//`, spaces or other characters a URL must escape)."""
    parts = urlsplit(base_url)
    path = parts.path.rstrip("/")
    why = ""
    if parts.query or parts.fragment:
        why = "has a query or fragment"
    elif "//" in path or any(seg in (".", "..") for seg in path.split("/")):
        why = f"has a path ({parts.path}) with an empty, '.' or '..' part"
    elif quote(path, safe=_PATH_SAFE) != path:
        why = f"has a path ({parts.path}) with characters a URL must escape"
    if not why:
        return None
    return (
        f"PAPERFEED_BASE_URL={base_url} {why}: use an address such as "
        f"{parts.scheme or 'https'}://{parts.netloc or 'example.org'}/papers"
    )


class PrefixMount:
    """Serves the site under its base URL's path P (`https://example.org/papers`).

    A request under P reaches the site with P taken off its path, so the site's routes and
    checks are those of a site at a host's root; a redirect (`Location: /x`) or cookie
    (`Path=/x`) it answers gets P put back. `/` leads to `P/`, the ops endpoints answer at the
    root too (load balancers and Prometheus ask a node by its own address), anything else
    outside P is not found.
    """

    def __init__(self, app: ASGIApp, root: str) -> None:
        self.app, self.root = app, root
        self.raw_root = root.encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        inner = site_path(self.root, scope["path"])
        if inner is not None:
            await self.app(self._inside(scope, inner), receive, self._outgoing(send))
        elif scope["path"] in OPS_PATHS:  # its CSRF cookie, too, is for the site's path only
            await self.app(scope, receive, self._outgoing(send))
        elif scope["type"] == "http" and scope["path"] == "/":
            await _answer(send, 308, [(b"location", self.raw_root + b"/")])
        elif scope["type"] == "http":
            await _answer(send, 404, [(b"content-type", b"text/plain; charset=utf-8")], NOT_HERE)
        else:
            await send({"type": "websocket.close", "code": 1000})

    def _inside(self, scope: Scope, path: str) -> Scope:
        inner = dict(scope, path=path)
        inner[PREFIX_KEY] = self.root  # the access log shows the path the client asked for
        raw = scope.get("raw_path")
        if isinstance(raw, bytes):
            inner["raw_path"] = (
                raw[len(self.raw_root) :] or b"/"
                if raw.startswith(self.raw_root)
                else path.encode()
            )
        return inner

    def _outgoing(self, send: Send) -> Send:
        async def rewrite(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [self._header(k, v) for k, v in message.get("headers", [])]
            await send(message)

        return rewrite

    def _header(self, key: bytes, value: bytes) -> tuple[bytes, bytes]:
        name = key.lower()
        if name == b"location" and value.startswith(b"/") and not value.startswith(b"//"):
            return key, self.raw_root + value
        if name == b"set-cookie":
            return key, _COOKIE_PATH.sub(lambda m: m[1] + self.raw_root + m[2].rstrip(b"/"), value)
        return key, value


NOT_HERE = b"Not found: this site is served under its base URL's path.\n"
_COOKIE_PATH = re.compile(rb"(;\s*path=)(/[^;]*)", re.IGNORECASE)


async def _answer(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes = b""
) -> None:
    length = (b"content-length", str(len(body)).encode())
    await send({"type": "http.response.start", "status": status, "headers": [*headers, length]})
    await send({"type": "http.response.body", "body": body})


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


def untrusted_tls_proxy(base_url: str | None, trusted_proxies: str) -> str | None:
    """What to say when the base URL is https (paperfeed serves plain HTTP, so a proxy ends TLS
    in front of it) but no proxy is trusted: every visitor then has the proxy's address."""
    if trusted_proxies.strip() or not base_url or urlsplit(base_url).scheme != "https":
        return None
    return (
        f"PAPERFEED_BASE_URL={base_url} is https, so a proxy in front of paperfeed ends TLS, "
        "but PAPERFEED_TRUSTED_PROXIES is empty: every visitor has the proxy's address and all "
        "share one address's limits (sign-ups, failed sign-ins, comments, submissions); set "
        "PAPERFEED_TRUSTED_PROXIES to the proxy's address (127.0.0.1 on the same machine)"
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
