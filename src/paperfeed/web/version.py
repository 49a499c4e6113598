"""The store's data version as this process knows it, read without blocking the event loop."""

from __future__ import annotations

import logging
import math
import threading
import time

from sqlalchemy import Engine

from paperfeed.store.health import Outage
from paperfeed.store.listings import data_version

log = logging.getLogger(__name__)


class DataVersion:
    """Caches the store's data version for `check_seconds`.

    The event loop only ever asks `known()`, which never touches the store: a stale version is
    refreshed by one background thread while the old one serves for another `check_seconds`.
    (A loop that waited for a pooled connection froze the whole server under load, issue 9.)
    """

    def __init__(self, engine: Engine, check_seconds: float) -> None:
        self.engine, self.check_seconds = engine, check_seconds
        self._version, self._read_at, self._generation = "", -math.inf, 0
        self._lock = threading.Lock()
        self._refreshing = False
        # While the store is down this runs every `check_seconds`: one log line per outage.
        self._outage = Outage(log, "page cache")

    def known(self) -> str | None:
        """The version if it is recent enough to serve cached pages with, else None."""
        age = time.monotonic() - self._read_at
        if age >= self.check_seconds:
            self._refresh_in_background()
        return self._version if age < 2 * self.check_seconds else None

    def current(self) -> str:
        """The version, read from the store when stale (call from worker threads only)."""
        version = self.known()
        return self._read() if version is None else version

    def changed(self) -> None:
        """Forget the version: this process just changed something pages show."""
        with self._lock:
            self._generation += 1
            self._read_at = -math.inf

    def _read(self) -> str:
        generation, started = self._generation, time.monotonic()
        with self.engine.connect() as conn:
            version = data_version(conn)
        with self._lock:
            if generation == self._generation:  # no write of ours raced with the read
                self._version, self._read_at = version, started
        return version

    def _refresh_in_background(self) -> None:
        with self._lock:
            if self._refreshing:
                return
            self._refreshing = True
        threading.Thread(target=self._refresh, name="data-version", daemon=True).start()

    def _refresh(self) -> None:
        try:
            self._read()
        except Exception as exc:  # the pool may be exhausted: routes still read it themselves
            self._outage.failed(exc)
        else:
            self._outage.answered()
        finally:
            self._refreshing = False
