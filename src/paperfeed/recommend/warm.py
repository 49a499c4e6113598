"""For you models trained again in the background once new papers are stored.

New papers change the candidate space, and every reader's model is trained in it: without
this, each reader's first page after the daily ingest trained theirs in the request (~0.3–0.6 s
of CPU each, all at once when readers arrive in the morning; bench/RESULTS.md). A serving
process looks at the store every `every` seconds and, once an ingest has finished (the store's
latest change held since the previous look), trains the models of the readers it served lately.
"""

from __future__ import annotations

import logging
import os
import threading
from contextlib import suppress

from paperfeed.recommend.service import Recommender
from paperfeed.store.health import Outage
from paperfeed.store.search_store import latest_change

log = logging.getLogger(__name__)

CHECK_SECONDS = 30.0  # how often a serving process looks for new papers
NICE = 10  # the warming thread yields the CPU to requests


class Warmer:
    """Warms a recommender's models once per store change (see the module's docstring)."""

    def __init__(self, recommender: Recommender, days: float, budget_s: float) -> None:
        self.recommender, self.days, self.budget_s = recommender, days, budget_s
        self._previous: object = None  # the latest change at the previous look
        self._warmed: object = None  # the change the models were last warmed for

    def check(self) -> int:
        """One look at the store: warm when its latest change is new and has held since the
        previous look (an ingest stores papers in batches: warming between them is wasted).
        Returns how many models were trained."""
        with self.recommender.engine.connect() as conn:
            change = latest_change(conn)
        settled, self._previous = change == self._previous, change
        if change is None or change == self._warmed or not settled:
            return 0
        self._warmed = change
        return self.recommender.warm(self.days, self.budget_s)

    def run(self, stop: threading.Event, every: float = CHECK_SECONDS) -> None:
        """Look every `every` seconds until `stop` is set, at a lower CPU priority."""
        with suppress(OSError, AttributeError):  # Linux: the priority of this thread alone
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)
        outage = Outage(log, "warming For you models")
        while not stop.wait(every):
            try:
                trained = self.check()
            except Exception as exc:  # the next look tries again; readers train their own
                if not outage.noted(exc):  # one line an outage, not a traceback a look
                    log.exception("warming For you models failed")
                continue
            outage.answered()
            if trained:
                log.info("For you: %d readers' models trained after new papers", trained)


def start_warming(recommender: Recommender, days: float, budget_s: float) -> threading.Event:
    """Warm in a daemon thread (nothing when `days` or `budget_s` is 0); set the event to stop."""
    stop = threading.Event()
    if days > 0 and budget_s > 0:
        warmer = Warmer(recommender, days, budget_s)
        thread = threading.Thread(target=warmer.run, args=(stop,), name="warm-for-you")
        thread.daemon = True
        thread.start()
    return stop
