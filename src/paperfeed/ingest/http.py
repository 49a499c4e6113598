"""A polite HTTP client for arXiv: a delay between requests, 503 + Retry-After, retries."""

from __future__ import annotations

import math
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx

from paperfeed.ingest.run import SourceError

USER_AGENT = "paperfeed/0.1 (self-hosted paper discovery; https://github.com/paperfeed)"


@dataclass
class PoliteClient:
    """GETs with at least `delay` seconds between requests and retries on 503/network errors."""

    delay: float = 3.0
    retries: int = 5
    timeout: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    deadline: float | None = None  # seconds for one get(), waits and retries included
    _last: float = field(default=0.0, init=False)
    _client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self._client = httpx.Client(timeout=self.timeout, headers={"User-Agent": USER_AGENT})

    def get(self, url: str, params: Mapping[str, str | int]) -> httpx.Response:
        """GET a URL; 4xx responses are returned for the caller to explain."""
        stop = time.monotonic() + self.deadline if self.deadline else math.inf
        for attempt in range(self.retries + 1):
            self._wait(url, stop)
            try:
                response = self._client.get(url, params=params, timeout=self._budget(url, stop))
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
