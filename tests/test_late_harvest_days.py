"""Papers harvested long after arXiv announced them are listed on the day it announced them.

A harvested record is dated by its OAI datestamp only when that is within a week of its first
version: a record harvested late (a backfill, a harvest that resumed after weeks, a paper
replaced since) is stamped by its latest change, so it got no day and no daily page showed it.
It now gets the day of the first announcement after its first version, by arXiv's schedule; a
paper already on a day stays there, and no digest carries a late paper twice (one stored late
on a day a digest covered goes in the next digest: tests/test_digest_late_papers.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine

from paperfeed.arxiv_ids import first_listing_day
from paperfeed.digest.schedule import RunReport, compose_due
from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store import get_paper, upsert_papers
from tests.digest_support import carried_papers, daily_reader
from tests.replay import Reply, replay
from tests.test_ingest_oai import LAST_PAGE, harvest, two_pages
from tests.web_support import client, web_settings

# The records of arXiv's real responses, harvested in 2026: the datestamps are of 2014 and 2017.
ANNOUNCED = {
    "1412.8323": date(2014, 12, 30),  # created Monday 2014-12-29: Tuesday's listing
    "1507.07790": date(2015, 7, 29),  # created Tuesday 2015-07-28: Wednesday's
    "1607.01710": date(2016, 7, 7),  # created Wednesday 2016-07-06: Thursday's
    "0704.0471": date(2007, 4, 5),  # Tuesday 3 April 2007 22:04 UTC, after the deadline
}


def _day(engine: Engine, pid: str) -> date | None:
    with engine.connect() as conn:
        paper = get_paper(conn, pid)
    assert paper is not None
    day: date | None = paper.listing_date
    return day


def test_late_harvested_papers_are_on_the_day_arxiv_announced_them(
    settings: Settings, engine: Engine
) -> None:
    with replay(two_pages) as server:  # arXivRaw's page, then arXiv's
        harvest(engine, server.url, retries=0, prefix="arXivRaw")
    assert {pid: _day(engine, pid) for pid in ANNOUNCED} == ANNOUNCED
    with client(web_settings(settings), engine) as c:
        shown = c.get("/api/daily_papers?date=2015-07-29")
        assert shown.status_code == 200 and "1507.07790" in shown.text
        assert "1507.07790" in c.get("/papers/date/2015-07-29").text


def test_a_paper_on_a_day_stays_there_when_a_late_record_of_it_comes(engine: Engine) -> None:
    """1507.07790 was on the listing of Thursday 30 July (held a day, say): the schedule's
    Wednesday does not move it, nor does harvesting it again."""
    listed = Paper("1507.07790", "Listed", source="listing", listing_date=date(2015, 7, 30))
    with engine.begin() as conn:
        upsert_papers(conn, [listed])
    for _ in range(2):
        with replay(lambda r: Reply(LAST_PAGE)) as server:
            harvest(engine, server.url, retries=0)
    assert _day(engine, "1507.07790") == date(2015, 7, 30)
    assert _day(engine, "1412.8323") == date(2014, 12, 30)


def test_no_digest_carries_a_late_paper_twice(settings: Settings, engine: Engine) -> None:
    """A reader sent 2015-07-29 and 2015-07-30: harvesting 1507.07790 (of 2015-07-29) late,
    and 1607.01710 again, sends 1507.07790 in the next digest, once, and 1607.01710 not again."""
    sent = Paper("1607.01710", "Sent before", source="listing", listing_date=date(2015, 7, 30))
    with engine.begin() as conn:
        upsert_papers(conn, [sent])
        sid = db.insert_subscriber(conn, daily_reader(date(2015, 7, 29)))
    now = datetime(2015, 7, 30, 12, tzinfo=UTC)
    compose_due(engine, settings, now, True, None, RunReport())
    assert carried_papers(engine) == {("daily:2015-07-30", "1607.01710")}
    with replay(lambda r: Reply(LAST_PAGE)) as server:
        harvest(engine, server.url, retries=0)
    assert _day(engine, "1507.07790") == date(2015, 7, 29)
    assert _day(engine, "1607.01710") == date(2015, 7, 30)  # placed: kept
    with engine.begin() as conn:
        db.update_subscriber(conn, sid, {"covered_until": date(2015, 7, 30)})
    compose_due(engine, settings, now.replace(day=31), True, None, RunReport())
    late = {("daily:2015-07-30", "1607.01710"), ("daily:2015-07-31", "1507.07790")}
    assert carried_papers(engine) == late
    compose_due(engine, settings, datetime(2015, 8, 1, 12, tzinfo=UTC), True, None, RunReport())
    assert carried_papers(engine) == late


def test_the_schedule_of_first_announcements() -> None:
    """arXiv's deadline is 14:00 US Eastern; Friday's papers are announced on Sunday evening,
    dated Monday, and a weekend's wait for Monday's deadline (dated Tuesday)."""
    assert first_listing_day(datetime(2026, 6, 25, 17, 59)) == date(2026, 6, 26)  # Thu 13:59
    assert first_listing_day(datetime(2026, 6, 25, 18, 0)) == date(2026, 6, 29)  # Thu 14:00
    assert first_listing_day(datetime(2026, 6, 26, 12, 0)) == date(2026, 6, 29)  # Fri 08:00
    assert first_listing_day(datetime(2026, 6, 26, 19, 0)) == date(2026, 6, 30)  # Fri 15:00
    assert first_listing_day(datetime(2026, 6, 27, 12, 0)) == date(2026, 6, 30)  # Saturday
    assert first_listing_day(datetime(2026, 12, 1, 19, 30)) == date(2026, 12, 3)  # 14:30 EST
