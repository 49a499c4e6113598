"""A polite HTTP client for arXiv: a delay between requests, 503 + Retry-After, retries."""

from __future__ import annotations

import math
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

import httpx
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from paperfeed.ingest.run import SourceError
from paperfeed.util import tls_context

USER_AGENT = "paperfeed/0.1 (self-hosted paper discovery; https://github.com/paperfeed)"


@dataclass
class PoliteClient:
    """GETs with at least `delay` seconds between requests and retries on 503/network errors."""

    delay: float = 3.0
    retries: int = 5
    timeout: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    max_bytes: int = 100_000_000  # an OAI-PMH page is a few MB
    deadline: float | None = None  # seconds for one get(), waits and retries included
    _last: float = field(default=0.0, init=False)
    _client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self._client = httpx.Client(
            timeout=self.timeout, headers={"User-Agent": USER_AGENT}, verify=tls_context()
        )

    def get(
        self,
        url: str,
        params: Mapping[str, str | int],
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """GET a URL (with these headers besides the client's); 4xx responses are returned for
        the caller to explain."""
        stop = time.monotonic() + self.deadline if self.deadline else math.inf
        for attempt in range(self.retries + 1):
            self._wait(url, stop)
            try:
                response = self._get_capped(url, params, self._budget(url, stop), headers)
            except httpx.HTTPError as exc:
                if _unresolvable(exc):  # retrying will not make the name resolve
                    raise SourceError(f"cannot resolve the host of {url}: {exc}") from exc
                if time.monotonic() >= stop:
                    raise SourceError(self._late(url)) from exc
                if attempt == self.retries:
                    raise SourceError(f"cannot reach {url}: {exc}") from exc
                self._pause(url, min(60.0, 2.0**attempt), stop)
                continue
            if response.status_code not in (429, 500, 502, 503, 504):
                return response
            if attempt < self.retries:
                self._pause(url, _retry_after(response, 2.0**attempt), stop)
        raise SourceError(f"{url} kept answering HTTP {response.status_code}; try again later")

    def _get_capped(
        self,
        url: str,
        params: Mapping[str, str | int],
        timeout: float,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        # Read at most max_bytes (after any Content-Encoding): a huge or gzip-bomb answer is
        # refused in bounded memory instead of being read whole.
        with self._client.stream(
            "GET", url, params=params, headers=headers, timeout=timeout
        ) as streamed:
            chunks, size = [], 0
            for chunk in streamed.iter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise SourceError(f"{url} sent more than {self.max_bytes:,} bytes; refused")
                chunks.append(chunk)
        kept = [
            (k, v)
            for k, v in streamed.headers.multi_items()
            if k.lower() not in ("content-encoding", "content-length")
        ]
        return httpx.Response(
            streamed.status_code,
            headers=kept,
            content=b"".join(chunks),
            request=streamed.request,
        )

    def _wait(self, url: str, stop: float) -> None:
        gap = self.delay - (time.monotonic() - self._last)
        if self._last and gap > 0:
            self._pause(url, gap, stop)
        self._last = time.monotonic()

    def _pause(self, url: str, seconds: float, stop: float) -> None:
        if time.monotonic() + seconds >= stop:
            raise SourceError(self._late(url))
        self.sleep(seconds)

    def _budget(self, url: str, stop: float) -> float:
        left = stop - time.monotonic()
        if left <= 0:
            raise SourceError(self._late(url))
        return min(self.timeout, left)

    def _late(self, url: str) -> str:
        return f"{url} did not answer within {self.deadline:g} s; try again later"

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


def _unresolvable(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, socket.gaierror):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _retry_after(response: httpx.Response, fallback: float) -> float:
    value = response.headers.get("Retry-After", "")
    return min(float(value), 600.0) if value.strip().isdigit() else fallback


def refuse_html(response: httpx.Response, kind: str) -> None:
    """Raise a SourceError when an XML service answered with a web page (maintenance, proxy)."""
    if "html" in response.headers.get("Content-Type", "").lower():
        raise SourceError(
            f"{response.request.url.host} answered HTTP {response.status_code} with an HTML "
            f"page, not {kind} XML: is the URL right, or is the service down?"
        )


def parse_xml(body: bytes, kind: str) -> Element:
    """Parse an untrusted XML response; entities, external references and bad XML are refused."""
    try:
        # Neither arXiv's OAI-PMH nor its API sends a DTD: refusing any is the simplest defence.
        return ElementTree.fromstring(body, forbid_dtd=True)  # type: ignore[no-any-return]
    except DefusedXmlException as exc:
        raise SourceError(
            f"the {kind} response was refused: it declares a DTD or XML entities, which could "
            f"expand without bound or read local files ({type(exc).__name__})"
        ) from exc
    except ElementTree.ParseError as exc:
        raise SourceError(f"the {kind} response is not valid XML: {exc}") from exc
