"""A keyword search's papers newest first in a fixed order, (day, id) descending, read in
keyset pages: what a cursor walks. tantivy sorts by one field, so a day's papers come in the
index's order; a day a page ends on is read whole and sorted by id."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

from tantivy import Query

from paperfeed.search.keyword import FIRST_DAY, Filters, KeywordIndex
from paperfeed.search.query import ParsedQuery

Key = tuple[date, str]  # a paper's place: its listing day, then its id


def newest_after(
    index: KeywordIndex, parsed: ParsedQuery, filters: Filters, after: Key | None, limit: int
) -> list[Key]:
    """Up to `limit` papers the query matches that come after `after` by (day, id) descending
    (papers with no listing day are not in this order)."""
    since = filters.since or FIRST_DAY  # a bound on day: papers with none are left out
    filters = replace(filters, since=since)
    match = index.matcher(parsed, filters)
    found: list[Key] = []
    if after is not None:
        found = [k for k in _whole_day(index, match, filters, after[0]) if k[1] < after[1]]
        if len(found) >= limit or after[0] <= since:
            return found[:limit]
        before = after[0] - timedelta(days=1)
        filters = replace(filters, until=min(filters.until or before, before))
    return found + _newest(index, match, filters, limit - len(found))


def _newest(
    index: KeywordIndex, match: Callable[[Filters], Query], filters: Filters, limit: int
) -> list[Key]:
    """The first `limit` papers under `filters`, the last day they reach read whole."""
    if filters.since and filters.until and filters.since > filters.until:
        return []
    hits = index.dated(match(filters), limit)
    if len(hits) < limit:
        return sorted(hits, reverse=True)
    last = hits[-1][0]
    earlier = sorted((k for k in hits if k[0] > last), reverse=True)
    return (earlier + _whole_day(index, match, filters, last))[:limit]


def _whole_day(
    index: KeywordIndex, match: Callable[[Filters], Query], filters: Filters, day: date
) -> list[Key]:
    """Every paper of one day under `filters`, by id descending."""
    if (filters.since and day < filters.since) or (filters.until and day > filters.until):
        return []
    query = match(replace(filters, since=day, until=day))
    return sorted(index.dated(query, max(index.count(query), 1)), reverse=True)
