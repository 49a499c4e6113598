"""A digest composed while a listing day is being stored waits for the rest of that day.

`serve`'s digest scheduler (or cron's `paperfeed digest run`) could compose while a harvest or an
import was storing the newest listing day: subscribers got the papers stored so far, their next
window began after that day, and the rest of it never reached them. A due digest now waits
while an ingest run stores papers (every run marks itself before it stores anything), at most
digest_wait_hours after its send time, and goes out at the next check once the day is whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Engine, select

from paperfeed.digest.schedule import RunReport, compose_due, due_since
from paperfeed.digest.subscriber import Preferences
from paperfeed.ingest.run import Item, ReadCheckpoint, run_source
from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store import upsert_papers
from paperfeed.store.digest_tables import outbox, sent_papers
from paperfeed.store.jobs import ingest_state
from tests.digest_support import daily_reader

COVERED = date(2026, 6, 29)  # Monday's listing: already sent
DAY = date(2026, 6, 30)  # Tuesday's listing, announced Monday 20:00 US Eastern
EIGHT_THIRTY = datetime(2026, 6, 30, 8, 30, tzinfo=UTC)  # the reader's send time is 08:00 UTC


def _paper(n: int, day: date = DAY) -> Paper:
    return Paper(
        f"2606.{day.day:02d}00{n}",
        f"Paper {n} of {day}",
        "An abstract.",
        ("Ada Lovelace",),
        ("cs.LG",),
        source="listing",
        listing_date=day,
    )


@dataclass
class Listing:
    """Tuesday's listing, stored in two batches; `between` runs after the first is committed."""

    between: Callable[[], None]
    name: str = "listing:2026-06-30"

    def items(self, read_checkpoint: ReadCheckpoint) -> Iterator[Item]:
        yield from (_paper(1), _paper(2))  # a batch of two: committed before the next is read
        self.between()
        yield from (_paper(3), _paper(4))


def _reader(engine: Engine) -> None:
    values = daily_reader(COVERED)
    with engine.begin() as conn:
        upsert_papers(conn, [_paper(1, COVERED), _paper(2, COVERED)])
        db.insert_subscriber(conn, values)


def _carried(engine: Engine) -> set[tuple[str, str]]:
    query = select(outbox.c.period, sent_papers.c.paper_id).join(
        sent_papers, sent_papers.c.outbox_id == outbox.c.id
    )
    with engine.connect() as conn:
        return {(period, pid) for period, pid in conn.execute(query)}


def _compose(engine: Engine, settings: Settings, now: datetime) -> RunReport:
    report = RunReport()
    compose_due(engine, settings, now, False, None, report)
    return report


def test_a_digest_due_while_a_day_is_stored_waits_for_the_whole_day(
    settings: Settings, engine: Engine
) -> None:
    """Composed at 08:30 with papers 1 and 2 of Tuesday stored, it carried those two, and 3 and
    4 reached no digest (not Tuesday's, not Wednesday's: its window began on Wednesday). Now
    the 08:30 run waits, and the next one sends all four of Tuesday in Tuesday's digest."""
    _reader(engine)
    during: list[RunReport] = []
    report = run_source(
        engine, Listing(lambda: during.append(_compose(engine, settings, EIGHT_THIRTY))), 2
    )
    assert report.inserted == 4
    assert (during[0].due, during[0].held, during[0].composed, during[0].empty) == (1, 1, 0, 0)
    assert _carried(engine) == set()
    after = _compose(engine, settings, EIGHT_THIRTY.replace(minute=31))
    assert (after.held, after.composed) == (0, 1)
    _compose(engine, settings, datetime(2026, 7, 1, 8, 30, tzinfo=UTC))  # Wednesday: nothing new
    tuesday = {("daily:2026-06-30", _paper(n).id) for n in (1, 2, 3, 4)}
    assert _carried(engine) == tuesday


def test_a_digest_waits_for_an_ingest_at_most_digest_wait_hours(
    settings: Settings, engine: Engine
) -> None:
    """A backfill of hours holds no digest all day: three hours after its send time (the
    default PAPERFEED_DIGEST_WAIT_HOURS) it goes with what is stored, papers 1 and 2."""
    _reader(engine)
    late = datetime(2026, 6, 30, 11, 0, tzinfo=UTC)
    during: list[RunReport] = []
    run_source(engine, Listing(lambda: during.append(_compose(engine, settings, late))), 2)
    assert (during[0].held, during[0].composed) == (0, 1)
    assert _carried(engine) == {("daily:2026-06-30", _paper(n).id) for n in (1, 2)}


def test_an_ingest_run_is_seen_while_it_stores_and_counted_once_it_started(
    engine: Engine,
) -> None:
    """What a digest run compares before and after reading the papers: an ingest that started
    and ended meanwhile (its papers read half-stored) is seen by the count of runs started."""
    with engine.connect() as conn:
        before = ingest_state(conn)
    seen = []

    def look() -> None:
        with engine.connect() as conn:
            seen.append(ingest_state(conn))

    run_source(engine, Listing(look), 2)
    with engine.connect() as conn:
        after = ingest_state(conn)
    assert not before.running and seen[0].running and not after.running
    assert seen[0].started == after.started == before.started + 1


def test_a_digest_is_due_since_its_send_time_in_its_period() -> None:
    daily = Preferences(frequency="daily", send_time="08:00", timezone="Asia/Tokyo")
    weekly = Preferences(frequency="weekly", send_time="20:00", timezone="UTC", weekday=0)
    now = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)  # Wednesday: 21:00 in Tokyo
    assert due_since(daily, now) == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)
    assert due_since(weekly, now) == datetime(2026, 6, 29, 20, 0, tzinfo=UTC)  # Monday
