"""Each arXiv announcement reaches a daily subscriber once, on the first local evening or
morning after it, wherever they are.

arXiv announces Sunday to Thursday at 20:00 US Eastern, each listing dated the next day: the
Monday listing is out on Sunday at 17:00 in Los Angeles and on Monday at 09:00 in Tokyo.
"Skip weekends" skipped Saturday and Sunday wherever the reader was: in Los Angeles at 20:00,
Monday's listing waited for Monday evening and came with Tuesday's; in Tokyo at 08:00, Friday's
waited from Saturday to Monday. It now skips the local days that follow no announcement.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from paperfeed.digest.schedule import RunReport, compose_due
from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store import upsert_papers
from paperfeed.store.digest_tables import outbox, sent_papers
from paperfeed.store.tables import papers

EASTERN = ZoneInfo("America/New_York")
# The listing days of one week (and the Monday after), Friday 26 June's already sent.
LISTINGS = [date(2026, 6, 29) + timedelta(days=n) for n in (0, 1, 2, 3, 4, 7)]
EVENINGS = [date(2026, 6, 27) + timedelta(days=n) for n in range(9)]  # Saturday to Sunday


def _announced(day: date) -> datetime:
    """When arXiv announces the listing dated `day`: 20:00 Eastern the evening before it (a
    Monday listing on Sunday)."""
    return datetime.combine(day - timedelta(days=1), time(20), EASTERN)


def _listing(day: date) -> list[Paper]:
    return [
        Paper(f"{day:%y%m}.{day.day:02d}00{n}", f"Paper {n} of {day}", "An abstract.",
              ("Ada Lovelace",), ("cs.LG",), source="listing", listing_date=day)
        for n in range(2)
    ]  # fmt: skip


def _subscriber(engine: Engine, zone: str, send_time: str) -> None:
    values = {
        "email": "reader@example.org",
        "email_key": "reader@example.org",
        "status": "confirmed",
        "nonce": "n" * 16,
        "frequency": "daily",
        "send_time": send_time,
        "timezone": zone,
        "weekday": 0,
        "skip_weekends": True,
        "max_papers": 10,
        "include_trending": True,
        "covered_until": date(2026, 6, 26),
    }
    with engine.begin() as conn:
        db.insert_subscriber(conn, values)
        upsert_papers(conn, _listing(date(2026, 6, 26)))


def _days_sent(engine: Engine) -> dict[str, list[str]]:
    """Each digest's period and the listing days of the papers it carried."""
    query = (
        select(outbox.c.period, papers.c.listing_date)
        .join(sent_papers, sent_papers.c.outbox_id == outbox.c.id)
        .join(papers, papers.c.id == sent_papers.c.paper_id)
    )
    out: dict[str, set[str]] = {}
    with engine.connect() as conn:
        for period, day in conn.execute(query):
            out.setdefault(period.removeprefix("daily:"), set()).add(f"{day:%a %d}")
    return {period: sorted(days) for period, days in sorted(out.items())}


@pytest.mark.parametrize(
    ("zone", "send_time", "expected"),
    [
        # Los Angeles at 20:00: Sunday evening brings Monday's listing; Friday and Saturday
        # evenings nothing (it skipped Sunday, then sent Monday's and Tuesday's together).
        (
            "America/Los_Angeles",
            "20:00",
            {
                "2026-06-28": ["Mon 29"],
                "2026-06-29": ["Tue 30"],
                "2026-06-30": ["Wed 01"],
                "2026-07-01": ["Thu 02"],
                "2026-07-02": ["Fri 03"],
                "2026-07-05": ["Mon 06"],
            },
        ),
        # Tokyo at 08:00: Saturday morning brings Friday's listing, Sunday and Monday nothing
        # (it skipped Saturday and sent Friday's on Monday).
        (
            "Asia/Tokyo",
            "08:00",
            {
                "2026-06-30": ["Mon 29"],
                "2026-07-01": ["Tue 30"],
                "2026-07-02": ["Wed 01"],
                "2026-07-03": ["Thu 02"],
                "2026-07-04": ["Fri 03"],
            },
        ),
        # Berlin at 07:00: Monday to Friday mornings, as before.
        (
            "Europe/Berlin",
            "07:00",
            {
                "2026-06-29": ["Mon 29"],
                "2026-06-30": ["Tue 30"],
                "2026-07-01": ["Wed 01"],
                "2026-07-02": ["Thu 02"],
                "2026-07-03": ["Fri 03"],
            },
        ),
    ],
)
def test_each_listing_reaches_a_daily_reader_once_after_its_announcement(
    settings: Settings, engine: Engine, zone: str, send_time: str, expected: dict[str, list[str]]
) -> None:
    _subscriber(engine, zone, send_time)
    hour, minute = (int(x) for x in send_time.split(":"))
    for evening in EVENINGS:
        # the pipeline stored every listing announced by then; the run comes 5 minutes later
        now = datetime.combine(evening, time(hour, minute), ZoneInfo(zone)).astimezone(UTC)
        with engine.begin() as conn:
            for day in LISTINGS:
                if _announced(day) <= now:
                    upsert_papers(conn, _listing(day))
        compose_due(engine, settings, now + timedelta(minutes=5), False, None, RunReport())
    assert _days_sent(engine) == expected
