"""Sliding-window rate limits, all counted in the store (shared by every worker and node, so
that N processes do not let N times the limit in): sign-ups, submissions and comments per client,
and failed sign-ins."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from paperfeed.store.rate_limits import count_events, record_event, remove_event
from paperfeed.store.sign_ins import Tally, record_attempt, take_back, tally
from paperfeed.util import utcnow


@dataclass(frozen=True)
class Attempt:
    """An attempt under a limit: refused (`wait` seconds), or counted (its rows, `ids`) until it
    is known not to count (a right password, a comment that was not posted)."""

    wait: float | None
    pair: str = ""
    ids: tuple[int, ...] = ()


def keyed(secret: str, key: str) -> str:
    """A limit's key as the store gets it: an HMAC under the site's secret, so that the rows
    name no client address, account or mailbox, nor let a guessed one be tested (a plain hash
    of an IPv4 address is undone by trying all 2**32); the key itself without a secret."""
    if not secret:
        return key
    return hmac.new(
        secret.encode(), key.encode("utf-8", "surrogatepass"), hashlib.sha256
    ).hexdigest()


class SharedLimiter:
    """At most `limit` events per `window` seconds for each key (sign-ups, submissions, comments
    per address), counted in the store: every worker and node of the site counts the same ones.

    An event is written before it is counted, as sign-in failures are: two processes racing each
    see the other, so together they never let more than the limit through.
    """

    def __init__(
        self,
        engine: Engine,
        limit: int,
        window: float,
        clock: Callable[[], datetime] = utcnow,
        secret: str = "",
    ) -> None:
        self.engine, self.limit, self.clock = engine, limit, clock
        self.window, self.secret = timedelta(seconds=window), secret

    def hit(self, key: str) -> float | None:
        """Record one event; returns seconds to wait when over the limit (nothing recorded)."""
        return self.begin(key).wait

    def begin(self, key: str) -> Attempt:
        """Record one event, to be taken back with `undo` if it turns out not to count;
        refused (nothing recorded) when over the limit."""
        key, now = keyed(self.secret, key), self.clock()
        with self.engine.begin() as conn:
            event = record_event(conn, key, now, now + self.window)
        with self.engine.connect() as conn:
            found = count_events(conn, key, now - self.window)
        if found is None or found.count <= self.limit:  # this event included
            return Attempt(None, key, (event,))
        with self.engine.begin() as conn:
            remove_event(conn, event)
        return Attempt(self._wait(found, now))

    def undo(self, attempt: Attempt) -> None:
        """Take back an event (the action it allowed failed)."""
        with self.engine.begin() as conn:
            for event in attempt.ids:
                remove_event(conn, event)

    def _wait(self, found: Tally, now: datetime) -> float:
        return max((found.oldest + self.window - now).total_seconds(), 1.0)


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
        secret: str = "",
    ) -> None:
        self.engine, self.window, self.clock = engine, timedelta(seconds=window), clock
        self._limits = dict(zip(("pair", "account", "address"), limits, strict=True))
        self.secret = secret

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

    def _keys(self, address: str, account: str) -> dict[str, str]:
        name = account.strip().lower()
        keys = {
            "pair": f"pair\n{address}\n{name}",
            "account": f"account\n{name}",
            "address": f"address\n{address}",
        }
        return {kind: keyed(self.secret, key) for kind, key in keys.items()}
