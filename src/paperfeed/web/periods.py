"""Days, ISO weeks, months and runs of days that daily listings cover, parsed from URLs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import HTTPException, Query
from pydantic import BeforeValidator, WithJsonSchema

PeriodKind = Literal["date", "week", "month", "days"]
FIRST_DAY = date(1991, 1, 1)  # arXiv opened in August 1991
LAST_DAY = date(2200, 12, 31)
_WEEK_RE = re.compile(r"^(\d{4})-W(\d{1,2})$")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_DAYS_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
DAYS_MOST = 31  # a run of days one page lists (a digest's two weeks fit; a year would not)


class BadPeriod(ValueError):
    """Text that is not a valid day, week or month."""


@dataclass(frozen=True)
class Period:
    """A span of days shown as one daily-papers listing."""

    kind: PeriodKind
    start: date
    end: date

    @property
    def slug(self) -> str:
        """How the period is written in URLs: 2026-07-01, 2026-W27, 2026-07 or
        2026-06-29..2026-07-03."""
        if self.kind == "days":
            return f"{self.start.isoformat()}..{self.end.isoformat()}"
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        return self.start.isoformat()

    @property
    def heading(self) -> str:
        """A short heading such as "Jul 1", "Week 27, 2026", "July 2026" or "Jun 29 – Jul 3"."""
        if self.kind == "days":
            return f"{self.start:%b} {self.start.day} – {self.end:%b} {self.end.day}"
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"Week {week}, {year}"
        if self.kind == "month":
            return f"{self.start:%B %Y}"
        return f"{self.start:%b} {self.start.day}"

    @property
    def subheading(self) -> str:
        """The full dates the period covers."""
        if self.kind == "date":
            return f"{self.start:%A}, {self.start.day} {self.start:%B %Y}"
        return f"{self.start.day} {self.start:%b %Y} – {self.end.day} {self.end:%b %Y}"

    @property
    def path(self) -> str:
        """The HTML page of this period."""
        return f"/papers/{self.kind}/{self.slug}"


def _checked(period: Period) -> Period | None:
    return period if period.start >= FIRST_DAY and period.end <= LAST_DAY else None


def day_period(day: date) -> Period:
    """The period of one day."""
    return Period("date", day, day)


def week_period(day: date) -> Period:
    """The ISO week (Monday to Sunday) containing the day."""
    start = day - timedelta(days=day.weekday())
    return Period("week", start, start + timedelta(days=6))


def month_period(day: date) -> Period:
    """The calendar month containing the day."""
    start = day.replace(day=1)
    nxt = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return Period("month", start, nxt - timedelta(days=1))


def days_period(start: date, end: date) -> Period:
    """The days from `start` to `end`, both listed: at most DAYS_MOST of them."""
    if end < start:
        raise BadPeriod(f"the days run backwards: {end.isoformat()} is before {start.isoformat()}")
    if (end - start).days >= DAYS_MOST:
        raise BadPeriod(f"a run of days is {DAYS_MOST} days at most: give a month or a week")
    return Period("days", start, end)


def parse_period(kind: str, text: str) -> Period:
    """Parse a day (YYYY-MM-DD), ISO week (YYYY-Www), month (YYYY-MM) or run of days
    (YYYY-MM-DD..YYYY-MM-DD) of the given kind."""
    try:
        period = _parse(kind, text.strip())
    except BadPeriod:
        raise
    except OverflowError as exc:  # 9999-W52 ends in the year 10000
        raise BadPeriod(_outside(text)) from exc
    except ValueError as exc:
        raise BadPeriod(_why_not(kind, text.strip())) from exc
    if _checked(period) is None:
        raise BadPeriod(_outside(text))
    return period


def _why_not(kind: str, text: str) -> str:
    """Why a period that did not parse is refused: its shape, its year, or no such day."""
    shape = {"date": r"\d{4}-\d{2}-\d{2}", "week": _WEEK_RE.pattern, "month": _MONTH_RE.pattern}
    shape["days"] = _DAYS_RE.pattern
    if kind not in shape:
        return f"unknown period kind {kind!r}"
    if not re.fullmatch(shape[kind].strip("^$"), text):
        return _EXPECTED[kind]
    if not FIRST_DAY.year <= int(text[:4]) <= LAST_DAY.year:
        return _outside(text)
    if kind == "days":
        return f"{text!r} names a day the calendar does not have"
    return f"{text!r} is no {kind} of the calendar"


def _outside(text: str) -> str:
    return f"{text!r} is outside {FIRST_DAY.year}–{LAST_DAY.year}"


_EXPECTED = {
    "date": "a date must look like 2026-07-01",
    "week": "a week must look like 2026-W27",
    "month": "a month must look like 2026-07",
    "days": f"days must look like 2026-06-29..2026-07-03 (first and last, {DAYS_MOST} at most)",
}


def _parse(kind: str, text: str) -> Period:
    if kind == "date":
        return day_period(date.fromisoformat(_strict_day(text)))
    if kind == "week":
        match = _WEEK_RE.match(text)
        if not match:
            raise ValueError(text)
        return week_period(date.fromisocalendar(int(match[1]), int(match[2]), 1))
    if kind == "month":
        match = _MONTH_RE.match(text)
        if not match:
            raise ValueError(text)
        return month_period(date(int(match[1]), int(match[2]), 1))
    if kind == "days":
        match = _DAYS_RE.match(text)
        if not match:
            raise ValueError(text)
        return days_period(date.fromisoformat(match[1]), date.fromisoformat(match[2]))
    raise ValueError(kind)


def _strict_day(text: str) -> str:
    # date.fromisoformat also takes 20260701 and week dates; URLs use one spelling only.
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(text)
    return text


def period_from_query(
    day: str | None,
    week: str | None,
    month: str | None,
    latest: date | None,
    days: str | None = None,
) -> Period | None:
    """The period named by at most one of date/week/month/days; else the latest day (or
    None)."""
    named = (("date", day), ("week", week), ("month", month), ("days", days))
    given = [(k, v) for k, v in named if v]
    if len(given) > 1:
        raise BadPeriod("give only one of date, week, month and days")
    if given:
        return parse_period(*given[0])
    return day_period(latest) if latest else None


@dataclass(frozen=True)
class Shape:
    """A text parameter's shape: the pattern its schema documents and the server holds it to."""

    pattern: str
    example: str

    def query(self, description: str, fmt: str | None = None, **query: Any) -> Any:
        """The parameter's Query, its pattern in the schema (checked by `check`, which says
        what was expected in words where a pattern mismatch would not)."""
        extra = {"pattern": self.pattern} | ({"format": fmt} if fmt else {})
        return Query(description=description, json_schema_extra=extra, **query)

    def check(self, name: str, value: str | None) -> None:
        """400 when a given value does not have the shape, saying what was expected."""
        if value is not None and not re.fullmatch(self.pattern, value):
            raise HTTPException(400, f"{name}: give {self.example}, not {value[:40]!r}")


DAY = Shape(r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", "a day like 2026-07-01")
WEEK = Shape(r"^[0-9]{4}-W(0?[1-9]|[1-4][0-9]|5[0-3])$", "an ISO week like 2026-W27")
MONTH = Shape(r"^[0-9]{4}-(0[1-9]|1[0-2])$", "a month like 2026-07")
DAY_RUN = Shape(
    DAY.pattern[:-1] + r"\.\." + DAY.pattern[1:],
    f"a run of days like 2026-06-29..2026-07-03 ({DAYS_MOST} at most)",
)
# A listing's period, as the daily papers' API, feed and topics take it: a day (`date`), an ISO
# week or a month (one of them; `check_period_params` says so when several are given).
PeriodDay = Annotated[str | None, DAY.query("YYYY-MM-DD", fmt="date", alias="date")]
PeriodWeek = Annotated[str | None, WEEK.query("ISO week, YYYY-Www")]
PeriodMonth = Annotated[str | None, MONTH.query("YYYY-MM")]

# Empty: no category (a filter left empty is one left out, as on the search page); several
# joined by commas (cs.CL,cs.LG), as the search page's Category field and `cat:` take them.
_CATEGORY_NAME = r"[A-Za-z]+(-[A-Za-z]+)*(\.[A-Za-z]+(-[A-Za-z]+)*)?"
CATEGORY = Shape(
    rf"^({_CATEGORY_NAME}( *, *{_CATEGORY_NAME})*)?$",
    "an arXiv category like cs.CL, or several like cs.CL,cs.LG",
)

# A daily listing's category filter: repeated, or comma-separated (cs.CV,cs.LG), any case; an
# archive (cs, cond-mat) holds all of its categories (`views.daily_categories` reads it).
DailyCategory = Annotated[
    list[str] | None,
    Query(
        description="only papers in these categories, primary or cross-listed: repeated or "
        "comma-separated (cs.CV,cs.LG), any case; an archive (cs) holds all of its; a name "
        "that is no arXiv category: 400",
        json_schema_extra={"examples": [["cs.CV"]]},
    ),
]


def _blank_is_none(value: object) -> object:
    return None if value == "" else value


# A filter parameter given empty (`since=`, as a form's empty field sends it) is one left out.
BLANK_IS_NONE = BeforeValidator(_blank_is_none)


def blank_or(schema: dict[str, Any]) -> WithJsonSchema:
    """A filter parameter's documented schema: `schema`, or empty (the same as left out)."""
    return WithJsonSchema({"anyOf": [schema, {"type": "string", "maxLength": 0}]})


OptionalDay = Annotated[date | None, BLANK_IS_NONE, blank_or({"type": "string", "format": "date"})]


def check_period_params(
    day: str | None, week: str | None, month: str | None, days: str | None = None
) -> None:
    """400 for a date, week, month or days parameter of the wrong shape, saying what was
    expected."""
    shapes = (("date", DAY, day), ("week", WEEK, week), ("month", MONTH, month))
    for name, shape, value in (*shapes, ("days", DAY_RUN, days)):
        shape.check(name, value)
