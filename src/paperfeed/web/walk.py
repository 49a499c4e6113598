"""Keyset cursors of the API's lists whose order does not change as people vote: a period's
papers newest first (and a search by date). A cursor names the last paper a page held (its day
and id) and the list it belongs to, signed, so the next page starts right after that paper
however many were upvoted or added meanwhile: each paper comes once."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import HTTPException, Query, Request
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import Connection, Engine

from paperfeed.secret import secret_key
from paperfeed.settings import Settings
from paperfeed.store.listings import SCAN_MOST, Hide, newest_after
from paperfeed.web.periods import Period

if TYPE_CHECKING:
    from paperfeed.search import SearchService
    from paperfeed.web.views import SearchParams

Key = tuple[date, str]  # a paper's place in a newest-first list: its day, then its id
CURSOR = "cursor"
# Parameters that page or only filter for one reader: the same list whatever they are.
_PAGING = frozenset({"p", "limit", CURSOR, "show_muted"})
_PATH_SAFE = "/:@-._~!$&'()*+,;="
CursorParam = Annotated[
    str | None,
    Query(
        max_length=500,
        description='where to go on from: the X-Next-Cursor (or the Link rel="next") of the '
        "page before; every paper then comes once even when papers are upvoted or added "
        "mid-walk (not with p)",
    ),
]
HEADER: dict[str, Any] = {
    "X-Next-Cursor": {
        "description": "the `cursor` of the next page (none after the last)",
        "schema": {"type": "string"},
    }
}


@dataclass(frozen=True)
class Place:
    """Where a walk goes on from: after `key`, within the period it started in (None: a
    list without one)."""

    key: Key | None
    period: tuple[date, date] | None = None


@dataclass(frozen=True)
class Step:
    """One page of a walk: its papers' ids, how many of those read the reader's mutes left
    out, and where the next page starts (None: this was the last)."""

    ids: list[str]
    hidden: int
    following: Key | None


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key(settings), salt="paperfeed.api.cursor")


def _list_of(request: Request) -> str:
    """Which list a request reads: its path and its parameters other than paging ones."""
    kept = sorted((k, v) for k, v in request.query_params.multi_items() if k not in _PAGING)
    return hashlib.sha256(f"{request.url.path}?{urlencode(kept)}".encode()).hexdigest()[:16]


def make(settings: Settings, request: Request, place: Place) -> str:
    """The cursor that goes on from `place` in the list `request` reads."""
    key = [place.key[0].isoformat(), place.key[1]] if place.key else None
    span = [d.isoformat() for d in place.period] if place.period else None
    return str(_serializer(settings).dumps({"l": _list_of(request), "k": key, "s": span}))


def read(settings: Settings, request: Request, cursor: str) -> Place:
    """The place a cursor names; a 400 saying why for one that was altered, made up, or made
    for another list (other parameters)."""
    try:
        found = _serializer(settings).loads(cursor)
        if found["l"] != _list_of(request):
            raise HTTPException(
                400,
                "cursor: it was made for another list; ask again without it, keeping "
                "the parameters the list started with",
            )
        key = found["k"]
        place_key = (date.fromisoformat(key[0]), str(key[1])) if key else None
        span = found["s"]
        period = (date.fromisoformat(span[0]), date.fromisoformat(span[1])) if span else None
    except (BadData, KeyError, TypeError, ValueError, IndexError) as exc:
        raise HTTPException(
            400,
            "cursor: not one this site made (altered or cut short); use the "
            "X-Next-Cursor of the page before, or start without it",
        ) from exc
    return Place(place_key, period)


def check(cursor: str | None, p: int, sort: str, walkable: Sequence[str]) -> None:
    """A 400 for a cursor where there is none to use: with `p`, or for a sort by votes."""
    if not cursor:  # empty: from the start, as other empty parameters mean none
        return
    if p:
        raise HTTPException(400, "cursor: give either cursor or p, not both")
    if sort not in walkable:
        raise HTTPException(
            400,
            f"cursor: only sort={' or '.join(walkable)} has a cursor; an order by votes "
            "changes as people vote (see /docs/api)",
        )


def check_search(cursor: str | None, p: int, sort: str, mode: str) -> None:
    """A 400 for a search's cursor where there is none to use: with `p`, or for an order
    that depends on how deep the search reads."""
    if not cursor:
        return
    if p:
        raise HTTPException(400, "cursor: give either cursor or p, not both")
    if (sort, mode) != ("date", "keyword"):
        raise HTTPException(
            400,
            "cursor: only sort=date with mode=keyword has a cursor; which papers come by "
            "relevance, or by date in hybrid or semantic mode, depends on how deep the "
            "search reads (see /docs/api)",
        )


def headers(
    settings: Settings, request: Request, place: Place, following: Key | None
) -> tuple[tuple[str, str], ...]:
    """X-Next-Cursor and the Link rel="next" that carries it, when a page follows."""
    if following is None:
        return ()
    cursor = make(settings, request, Place(following, place.period))
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in ("p", CURSOR)]
    path = settings.public_url.rstrip("/") + quote(request.url.path, safe=_PATH_SAFE)
    url = f"{path}?{urlencode([*query, (CURSOR, cursor)])}"
    return (("X-Next-Cursor", cursor), ("Link", f'<{url}>; rel="next"'))


def period_step(
    conn: Connection,
    period: Period,
    place: Place,
    limit: int,
    hide: Hide | None,
    within: Sequence[str] = (),
) -> Step:
    """The next `limit` papers of a period (in the categories `within`, where given), newest
    first, after `place` (the reader's mutes left out): read in keyset pages, at most
    `SCAN_MOST` papers for one page."""
    start, end = place.period or (period.start, period.end)
    muted = (lambda ids: hide(conn, ids)) if hide else None

    def fetch(after: Key | None, n: int) -> list[Key]:
        return newest_after(conn, start, end, after, n, within)

    return _keyset(fetch, muted, place, limit)


def search_step(
    service: SearchService,
    engine: Engine,
    params: SearchParams,
    place: Place,
    limit: int,
    hide: Hide | None,
) -> Step | None:
    """The next `limit` papers of a keyword search by date, (day, id) descending, after
    `place` (the reader's mutes left out); None: this search has no such order now."""
    from paperfeed.search.keyword import Filters  # loads the search on first use
    from paperfeed.web.views.searching import among

    scope = among(engine, params)  # a conference's papers
    filters = Filters(params.since, params.until, params.category, params.author, scope)
    pending = service.by_day(params.q, filters, place.key, limit + 1)
    if pending is None:
        return None

    def fetch(after: Key | None, n: int) -> list[Key]:
        nonlocal pending
        rows, pending = pending, None
        return rows if rows is not None else service.by_day(params.q, filters, after, n) or []

    def muted(ids: list[str]) -> set[str]:
        with engine.connect() as conn:
            return hide(conn, ids) if hide else set()

    return _keyset(fetch, muted if hide else None, place, limit)


def _keyset(
    fetch: Callable[[Key | None, int], list[Key]],
    muted_of: Callable[[list[str]], set[str]] | None,
    place: Place,
    limit: int,
) -> Step:
    """The next `limit` papers after `place` of a list `fetch` reads in keyset pages, those
    `muted_of` names left out; at most `SCAN_MOST` papers are read for one page."""
    after, hidden, read = place.key, 0, 0
    shown: list[str] = []
    while True:
        rows = fetch(after, limit + 1)
        muted = muted_of([pid for _d, pid in rows]) if muted_of and rows else set()
        for row in rows:
            if len(shown) == limit or read >= SCAN_MOST:
                return Step(shown, hidden, after)
            after, read = row, read + 1
            if row[1] in muted:
                hidden += 1
            else:
                shown.append(row[1])
        if len(rows) <= limit:
            return Step(shown, hidden, None)
