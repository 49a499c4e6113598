"""The days a query's "year:", "after:" and "before:" name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from paperfeed.search.query.model import MAX_QUERY_CHARS, ParsedQuery

# Days typed in the query, as search sites take them: "year:2025", "year:2024..2025" (either
# end may be left open), "after:2025-06-01" and "before:2025-09-30" (or a month, 2025-09),
# every bound included.
_DATE_RE = re.compile(r"(?<![^\s(])(year|after|before):([^\s()]+)", re.IGNORECASE)
_YEAR_RE = re.compile(r"(\d{4})?(?:(\.\.)(\d{4})?)?")
_DAY_RE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")


@dataclass(frozen=True)
class QueryDates:
    """The days a query's "year:", "after:" and "before:" keep, and what was wrong with any."""

    since: date | None = None
    until: date | None = None
    problems: tuple[str, ...] = ()


def query_dates(text: str) -> QueryDates:
    """The range of days the query's date prefixes name (all of them together); a prefix that
    names no day ("year:20x5", "year:2026..2024") is left out, and said in `problems`."""
    if ":" not in text:
        return QueryDates()
    since: date | None = None
    until: date | None = None
    problems: list[str] = []
    for match in _DATE_RE.finditer(text[:MAX_QUERY_CHARS]):
        try:
            low, high = _date_bounds(match[1].lower(), match[2])
        except ValueError as exc:
            problems.append(f"{match[0]} was left out of the search: {exc}.")
            continue
        since = max(since, low) if since and low else since or low
        until = min(until, high) if until and high else until or high
    if since and until and since > until and not problems:
        problems.append(
            f"No day is in every date the query names ({since.isoformat()} to "
            f"{until.isoformat()}): no paper can match."
        )
    return QueryDates(since, until, tuple(problems))


def _date_bounds(prefix: str, value: str) -> tuple[date | None, date | None]:
    """The first and last day one date prefix keeps; ValueError saying what to type."""
    if prefix == "year":
        years = _YEAR_RE.fullmatch(value)
        if not years or not (years[1] or years[3]):
            raise ValueError("give a year as 2025, or years as 2024..2025")
        first = date(int(years[1]), 1, 1) if years[1] else None
        last = date(int(years[3] or years[1]), 12, 31) if years[3] or not years[2] else None
        if first and last and first > last:
            raise ValueError(f"{years[1]} is after {years[3]} (write the earlier year first)")
        return first, last
    day = _DAY_RE.fullmatch(value)
    if not day:
        raise ValueError("give a day as YYYY-MM-DD (or a month as YYYY-MM)")
    try:
        first = date(int(day[1]), int(day[2]), int(day[3] or 1))
        last = first if day[3] else _month_end(first)
    except ValueError:
        raise ValueError(f"there is no day {value}") from None
    return (first, None) if prefix == "after" else (None, last)


def _month_end(first: date) -> date:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def within(
    since: date | None, until: date | None, dates: QueryDates | ParsedQuery
) -> tuple[date | None, date | None]:
    """The days both a search's filters and its query's date prefixes keep."""
    low = max(since, dates.since) if since and dates.since else since or dates.since
    high = min(until, dates.until) if until and dates.until else until or dates.until
    return low, high
