"""Days, weeks and months in daily-listing URLs: parsing, round trips and navigation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperfeed.web.periods import (
    FIRST_DAY,
    LAST_DAY,
    BadPeriod,
    day_period,
    month_period,
    parse_period,
    period_from_query,
    week_period,
)

days = st.dates(
    min_value=FIRST_DAY + timedelta(days=130), max_value=LAST_DAY - timedelta(days=130)
)  # three months either way stay inside the supported range


@given(day=days)
def test_every_kind_round_trips_through_its_url(day: date) -> None:
    for period in (day_period(day), week_period(day), month_period(day)):
        assert parse_period(period.kind, period.slug) == period
        assert period.start <= day <= period.end


@given(day=days)
def test_weeks_are_iso_weeks_and_months_are_calendar_months(day: date) -> None:
    week, month = week_period(day), month_period(day)
    assert week.start.weekday() == 0 and (week.end - week.start).days == 6
    assert week.slug == f"{day.isocalendar()[0]}-W{day.isocalendar()[1]:02d}"
    assert month.start.day == 1 and (month.end + timedelta(days=1)).day == 1
    assert month.start.month == day.month == month.end.month


def test_headings_read_like_the_seed_page() -> None:
    assert day_period(date(2026, 3, 14)).heading == "Mar 14"
    assert week_period(date(2026, 6, 25)).heading == "Week 26, 2026"
    assert month_period(date(2026, 6, 25)).heading == "June 2026"


@pytest.mark.parametrize(
    "kind,text,why",
    [
        ("date", "2026-02-30", "'2026-02-30' is no date of the calendar"),
        ("date", "20260701", "a date must look like 2026-07-01"),
        ("date", "2026-W26-1", "a date must look like 2026-07-01"),
        ("date", "", "a date must look like 2026-07-01"),
        ("week", "2026-W54", "'2026-W54' is no week of the calendar"),
        ("week", "2026-26", "a week must look like 2026-W27"),
        ("week", "9999-W53", "'9999-W53' is outside 1991–2200"),
        ("month", "2026-00", "'2026-00' is no month of the calendar"),
        ("month", "2026-7", "a month must look like 2026-07"),
        ("month", "9999-12", "'9999-12' is outside 1991–2200"),  # its end is in the year 10000
        ("date", "0001-01-01", "'0001-01-01' is outside 1991–2200"),
        ("date", "9999-12-31", "'9999-12-31' is outside 1991–2200"),
        ("year", "2026", "unknown period kind 'year'"),
    ],
)
def test_bad_periods_are_refused_with_a_message(kind: str, text: str, why: str) -> None:
    with pytest.raises(BadPeriod) as info:
        parse_period(kind, text)
    assert str(info.value) == why


def test_query_picks_one_period_or_the_latest_day() -> None:
    latest = date(2026, 7, 1)
    assert period_from_query(None, None, None, latest) == day_period(latest)
    assert period_from_query(None, None, None, None) is None
    assert period_from_query(None, "2026-W26", None, latest) == week_period(date(2026, 6, 22))
    with pytest.raises(BadPeriod, match="only one"):
        period_from_query("2026-06-25", None, "2026-06", latest)
