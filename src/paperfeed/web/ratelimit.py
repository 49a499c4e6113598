"""Sliding-window rate limits: sign-up and submit per client in memory, failed sign-ins in the
store (shared by every worker and node, so that N processes do not let N times the guesses in)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from paperfeed.store.sign_ins import Tally, record_attempt, take_back, tally
from paperfeed.util import utcnow


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


@dataclass(frozen=True)
class Attempt:
    """A sign-in attempt under the limits: refused (`wait` seconds), or counted until it is
    known to have succeeded."""

    wait: float | None
    pair: str = ""
    ids: tuple[int, ...] = ()


class SignInLimits:
    """Failed sign-ins limited per address and account, per account, and per address.

    Only failures count, so a right password is let in unless that very account is under attack
    from that address; guesses at one account from many addresses (or forged X-Forwarded-For)
    meet the per-account limit, guesses at many accounts from one address the per-address one.
    The failures are kept in the store: every worker and node counts the same ones.

    An attempt is written before it is counted, and counted after it was written (committed):
    two processes racing each see the other, so together they never let more than a limit's
    failures through; at worst both are refused where one could have gone (a 429 early).
    """

    def __init__(
        self,
        engine: Engine,
        limits: tuple[int, int, int],
        window: float,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine, self.window, self.clock = engine, timedelta(seconds=window), clock
        self._limits = dict(zip(("pair", "account", "address"), limits, strict=True))

    def begin(self, address: str, account: str) -> Attempt:
        """Count an attempt as failed until `succeeded`; refused when over a limit."""
        keys = self._keys(address, account)
        now = self.clock()
        with self.engine.begin() as conn:
            ids = tuple(record_attempt(conn, list(keys.values()), now, now - self.window))
        with self.engine.connect() as conn:
            found = tally(conn, keys.values(), now - self.window)
        waits = [
            self._wait(found[key], now)
            for name, key in keys.items()
            if self._over(name, found.get(key))
        ]
        if not waits:
            return Attempt(None, keys["pair"], ids)
        with self.engine.begin() as conn:
            take_back(conn, ids)
        return Attempt(max(waits))

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: the attempt does not count, nor earlier failures of the pair."""
        with self.engine.begin() as conn:
            take_back(conn, attempt.ids, clear=attempt.pair)

    def _over(self, name: str, found: Tally | None) -> bool:
        return found is not None and found.count > self._limits[name]  # this attempt included

    def _wait(self, found: Tally, now: datetime) -> float:
        return max((found.oldest + self.window - now).total_seconds(), 1.0)

    @staticmethod
    def _keys(address: str, account: str) -> dict[str, str]:
        name = account.strip().lower()
        return {
            "pair": f"pair\n{address}\n{name}",
            "account": f"account\n{name}",
            "address": f"address\n{address}",
        }
