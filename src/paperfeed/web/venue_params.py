"""A conference's address and order, as its page, its feed and the API read them."""

from __future__ import annotations

import logging
import threading
import time
from typing import Annotated

from fastapi import HTTPException, Query
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from paperfeed.store.listings import venue_counts, venues_meant
from paperfeed.venues import Venue, from_slug, offered, typed_venue

# A venue's list: newest first (arXiv's order) or most upvoted first.
VenueSort = Annotated[
    str, Query(pattern="^(newest|votes)$", description="newest first, or votes: most upvoted")
]
# Its page also ranks it for the signed-in reader, as For you ranks a day.
VenuePageSort = Annotated[
    str,
    Query(
        pattern="^(newest|votes|foryou)$",
        description="newest first, votes: most upvoted, foryou: ranked for the signed-in reader",
    ),
]


log = logging.getLogger(__name__)
RETRY_SECONDS = 10.0  # after the store failed to count the conferences offered

_SAID = "a conference and its year, such as icml-2026 or acl-2026-findings"
# A search within one conference: its address's last part or its name (/venues lists them).
SearchVenue = Annotated[
    str | None,
    Query(
        max_length=64,
        description="only papers at this conference, by its page's address, its name or as "
        "papers write it: icml-2026, acl-2026-findings, cvpr-2026-workshop, ICML 2026, "
        "ICML '26 (see /api/venues); empty: any; one that names no conference: 400, naming "
        "those it may mean",
    ),
]


def venue_named(slug: str) -> Venue:
    """The venue an address names, or a 404 saying what such an address looks like."""
    venue = from_slug(slug)
    if venue is None:
        raise HTTPException(404, f"{slug!r} names no conference here: {_SAID}")
    return venue


def venue_filter(typed: str | None, engine: Engine) -> Venue | None:
    """The conference a search is kept within (None: empty, any paper), or a 400 saying what
    the filter takes and which conferences here it may have meant."""
    venue, problem = read_venue(typed)
    if problem:
        options = ", ".join(v.slug for v in venues_meant_in(engine, typed or ""))
        raise HTTPException(400, problem + (f"; did you mean {options}?" if options else ""))
    return venue


def venues_meant_in(engine: Engine, typed: str) -> list[Venue]:
    """`store.listings.venues_meant`, on a connection of its own."""
    with engine.connect() as conn:
        return venues_meant(conn, typed)


def read_venue(typed: str | None, field: str = "venue") -> tuple[Venue | None, str | None]:
    """The conference a search filter names, by its address ("icml-2026") or as its page
    calls it ("ICML 2026", "Findings of ACL 2026"), and what is wrong with it, said of `field`
    (None: nothing; an empty filter names none)."""
    text = " ".join((typed or "").split())
    if not text:
        return None, None
    venue = typed_venue(text)
    if venue is None:
        return None, f"{field}: {text[:64]!r} names no conference: give {_SAID} (or ICML 2026)"
    return venue, None


class VenueNames:
    """The conferences the search page's Conference field offers (`offered`), read from the
    store again at most every `every` seconds: a new conference may wait that long to be
    offered (typing it works at once), and no page view waits on counting them."""

    def __init__(self, engine: Engine, every: float = 300.0) -> None:
        self._engine, self._every = engine, every
        self._names: list[str] = []
        self._due = -1.0
        self._lock = threading.Lock()

    def current(self) -> list[str]:
        """The labels offered, newest conferences first."""
        now = time.monotonic()
        with self._lock:
            if now < self._due:
                return self._names
            self._due = now + self._every  # one reader counts; the others keep the last list
        try:
            with self._engine.connect() as conn:
                names = [venue.label for venue in offered(venue_counts(conn))]
        except SQLAlchemyError:  # offers are a help: a busy store must not fail the page
            log.warning("counting the conferences for the search page failed", exc_info=True)
            with self._lock:
                self._due = now + RETRY_SECONDS
                return self._names
        with self._lock:
            self._names = names
        return names
