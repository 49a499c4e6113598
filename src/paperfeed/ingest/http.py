"""A polite HTTP client for arXiv: a delay between requests, 503 + Retry-After, retries."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

import httpx
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from paperfeed.ingest.run import SourceError

USER_AGENT = "paperfeed/0.1 (self-hosted paper discovery; https://github.com/paperfeed)"


@dataclass
class PoliteClient:
    """GETs with at least `delay` seconds between requests and retries on 503/network errors."""

    delay: float = 3.0
    retries: int = 5
    timeout: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    _last: float = field(default=0.0, init=False)
    _client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self._client = httpx.Client(timeout=self.timeout, headers={"User-Agent": USER_AGENT})

    def get(self, url: str, params: Mapping[str, str | int]) -> httpx.Response:
        """GET a URL; 4xx responses are returned for the caller to explain."""
        for attempt in range(self.retries + 1):
            self._wait()
            try:
                response = self._client.get(url, params=params)
            except httpx.HTTPError as exc:
                if attempt == self.retries:
                    raise SourceError(f"cannot reach {url}: {exc}") from exc
                self.sleep(min(60.0, 2.0**attempt))
                continue
            if response.status_code not in (429, 500, 502, 503, 504):
                return response
            if attempt < self.retries:
                self.sleep(_retry_after(response, 2.0**attempt))
        raise SourceError(f"{url} kept answering HTTP {response.status_code}; try again later")

    def _wait(self) -> None:
        gap = self.delay - (time.monotonic() - self._last)
        if self._last and gap > 0:
            self.sleep(gap)
        self._last = time.monotonic()

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


def _retry_after(response: httpx.Response, fallback: float) -> float:
    value = response.headers.get("Retry-After", "")
    return min(float(value), 600.0) if value.strip().isdigit() else fallback


def parse_xml(body: bytes, kind: str) -> Element:
    """Parse an untrusted XML response; entities, external references and bad XML are refused."""
    try:
        return ElementTree.fromstring(body)  # type: ignore[no-any-return]
    except DefusedXmlException as exc:
        raise SourceError(
            f"the {kind} response was refused: it declares XML entities or external "
            f"references, which could expand without bound or read local files ({exc})"
        ) from exc
    except ElementTree.ParseError as exc:
        raise SourceError(f"the {kind} response is not valid XML: {exc}") from exc
