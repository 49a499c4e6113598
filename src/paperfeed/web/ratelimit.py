"""Sliding-window rate limits for sign-in, sign-up and submit (per client, in memory)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """Allow at most `limit` events per `window` seconds for each key."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Record one event; returns seconds to wait when over the limit (nothing recorded)."""
        with self._lock:
            wait = self._wait(key)
            if wait is None:
                self._events[key].append(self._clock())
            return wait

    def wait(self, key: str) -> float | None:
        """Seconds to wait when the key is over its limit, without recording anything."""
        with self._lock:
            return self._wait(key)

    def undo(self, key: str) -> None:
        """Take back the key's most recent event (it turned out not to count)."""
        with self._lock:
            events = self._events.get(key)
            if events:
                events.pop()

    def clear(self, key: str) -> None:
        """Forget every event of the key."""
        with self._lock:
            self._events.pop(key, None)

    def _wait(self, key: str) -> float | None:
        now = self._clock()
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.limit:
            return max(events[0] + self.window - now, 1.0)
        return None


class SignInLimits:
    """Failed sign-ins limited per address and account, per account, and per address.

    Only failures count, so a right password is let in unless that very account is under attack
    from that address; guesses at one account from many addresses (or forged X-Forwarded-For)
    meet the per-account limit, guesses at many accounts from one address the per-address one.
    """

    def __init__(self, pair: int, account: int, address: int, window: float) -> None:
        self._limiters = {
            "pair": RateLimiter(pair, window),
            "account": RateLimiter(account, window),
            "address": RateLimiter(address, window),
        }

    def begin(self, address: str, account: str) -> float | None:
        """Count an attempt as failed until `succeeded`; seconds to wait when over a limit."""
        keys = self._keys(address, account)
        waits = [w for name, key in keys if (w := self._limiters[name].wait(key)) is not None]
        if waits:
            return max(waits)
        for name, key in keys:
            self._limiters[name].hit(key)
        return None

    def succeeded(self, address: str, account: str) -> None:
        """The password was right: the attempt does not count."""
        for name, key in self._keys(address, account):
            if name == "pair":
                self._limiters[name].clear(key)
            else:
                self._limiters[name].undo(key)

    @staticmethod
    def _keys(address: str, account: str) -> list[tuple[str, str]]:
        name = account.strip().lower()
        return [("pair", f"{address}\n{name}"), ("account", name), ("address", address)]
