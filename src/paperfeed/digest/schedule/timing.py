"""When a subscriber's digest is due, its period, and the listing days it covers."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from paperfeed.arxiv_ids import ANNOUNCED_AT, ARXIV_ZONE
from paperfeed.digest.subscriber import Preferences, Subscriber


def period_of(prefs: Preferences, now: datetime) -> str:
    """The period `now` falls in, in the subscriber's time zone: daily:DATE or weekly:YYYY-Www."""
    local = now.astimezone(ZoneInfo(prefs.timezone))
    if prefs.frequency == "weekly":
        year, week, _ = local.isocalendar()
        return f"weekly:{year}-W{week:02d}"
    return f"daily:{local.date().isoformat()}"


def is_due(prefs: Preferences, now: datetime) -> bool:
    """True once the subscriber's send time has passed in their current period."""
    local = now.astimezone(ZoneInfo(prefs.timezone))
    hour, minute = (int(x) for x in prefs.send_time.split(":"))
    past_time = (local.hour, local.minute) >= (hour, minute)
    if prefs.frequency == "weekly":
        return local.weekday() > prefs.weekday or (local.weekday() == prefs.weekday and past_time)
    if not past_time or not prefs.skip_weekends:
        return past_time
    # "Skip weekends": skip the local days with nothing new, which depend on the zone (Los
    # Angeles at 20:00 has Monday's listing on Sunday and none on Friday).
    send = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return announced_between(send - timedelta(days=1), send)


def due_since(prefs: Preferences, now: datetime) -> datetime:
    """The send time of the subscriber's current period (its day's, or its weekday's)."""
    local = now.astimezone(ZoneInfo(prefs.timezone))
    hour, minute = (int(x) for x in prefs.send_time.split(":"))
    send = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return send - timedelta(
        days=local.weekday() - prefs.weekday if prefs.frequency == "weekly" else 0
    )


def announced_between(start: datetime, end: datetime) -> bool:
    """Whether arXiv announced a listing after `start`, up to `end` (it announces Sunday to
    Thursday at 20:00 US Eastern, each listing dated the next day)."""
    day = start.astimezone(ARXIV_ZONE).date()
    while day <= end.astimezone(ARXIV_ZONE).date():
        moment = datetime.combine(day, ANNOUNCED_AT, ARXIV_ZONE)
        if day.weekday() not in (4, 5) and start < moment <= end:
            return True
        day += timedelta(days=1)
    return False


def window(sub: Subscriber, latest: date | None) -> tuple[date, date] | None:
    """The listing days a digest covers: new since the last one; a first one gets the latest."""
    if latest is None:
        return None
    weekly = sub.prefs.frequency == "weekly"
    first = latest - timedelta(days=6 if weekly else 0)
    cap = latest - timedelta(days=13 if weekly else 6)
    start = max(sub.covered_until + timedelta(days=1), cap) if sub.covered_until else first
    return (start, latest) if start <= latest else None


Late = tuple[date, date, datetime]  # days already covered, and since when papers are new there


def late_window(sub: Subscriber, latest: date | None) -> Late | None:
    """Days a digest already covered (within the catch-up limit) whose papers first stored
    after it read the store go in the next one: a late harvest, an ingest resumed after it."""
    if latest is None or sub.covered_until is None or sub.stored_until is None:
        return None
    cap = latest - timedelta(days=13 if sub.prefs.frequency == "weekly" else 6)
    end = min(sub.covered_until, latest)
    return (cap, end, sub.stored_until) if cap <= end else None
