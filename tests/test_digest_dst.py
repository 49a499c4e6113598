"""Digest send times on the days clocks change: once a day, at the subscriber's wall-clock time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from paperfeed.digest.schedule import is_due, period_of
from paperfeed.digest.subscriber import Preferences


def _sends(prefs: Preferences, day: str) -> dict[str, str]:
    """Each period's first due moment over the local day `day` and the next, in local time."""
    zone = ZoneInfo(prefs.timezone)
    start = datetime.fromisoformat(f"{day}T00:00").replace(tzinfo=zone).astimezone(UTC)
    first: dict[str, str] = {}
    for step in range(0, 48 * 60, 5):
        now = start + timedelta(minutes=step)
        period = period_of(prefs, now)
        if period not in first and is_due(prefs, now):
            first[period] = f"{now.astimezone(zone):%Y-%m-%d %H:%M %Z}"
    return first


@pytest.mark.parametrize(
    ("zone", "day", "send_time", "expected"),
    [  # clocks go back: 08:00 is 08:00 local on both sides, and 01:30 (twice that night) once
        (
            "America/Los_Angeles",
            "2026-11-01",
            "08:00",
            ["2026-11-01 08:00 PST", "2026-11-02 08:00 PST"],
        ),
        (
            "America/Los_Angeles",
            "2026-11-01",
            "01:30",
            ["2026-11-01 01:30 PDT", "2026-11-02 01:30 PST"],
        ),
        ("Europe/Berlin", "2026-10-25", "08:00", ["2026-10-25 08:00 CET", "2026-10-26 08:00 CET"]),
        ("Europe/Berlin", "2026-10-25", "02:30", ["2026-10-25 02:30 CEST", "2026-10-26 02:30 CET"]),
        # clocks go forward: 02:30 does not exist that night, so it goes when it has passed
        (
            "Europe/Berlin",
            "2026-03-29",
            "02:30",
            ["2026-03-29 03:00 CEST", "2026-03-30 02:30 CEST"],
        ),
        ("Asia/Tokyo", "2026-11-01", "08:00", ["2026-11-01 08:00 JST", "2026-11-02 08:00 JST"]),
    ],
)
def test_a_daily_digest_goes_once_a_day_at_local_time_across_clock_changes(
    zone: str, day: str, send_time: str, expected: list[str]
) -> None:
    prefs = Preferences(send_time=send_time, timezone=zone, skip_weekends=False)
    assert list(_sends(prefs, day).values()) == expected


def test_a_weekly_digest_keeps_its_local_weekday_and_hour_when_clocks_go_back() -> None:
    """Monday 08:00 in Los Angeles before and after 1 November (15:00 UTC, then 16:00 UTC)."""
    prefs = Preferences(frequency="weekly", send_time="08:00", timezone="America/Los_Angeles")
    before = _sends(prefs, "2026-10-26")
    after = _sends(prefs, "2026-11-02")
    assert list(before.values())[:1] == ["2026-10-26 08:00 PDT"]
    assert list(after.values())[:1] == ["2026-11-02 08:00 PST"]
    assert list(before)[:1] == ["weekly:2026-W44"] and list(after)[:1] == ["weekly:2026-W45"]
