"""No late paper is lost by the mark a digest leaves (follow-up of test_digest_late_papers.py).

A digest remembers when it read the store (`stored_until`); the next carries papers stored
since on the days it covered. Three ways a paper still slipped past that mark:
- a digest sent past the wait while an ingest still stored papers left no mark for a reader
  who had none (everyone, right after the upgrade): what that ingest stored later was lost;
- a paper first stored with no listing day and given a covered day later was judged by its
  first storing, before the mark;
- stamps and marks taken from each process's clock (an ingest host and a digest host apart).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, select, text

from paperfeed.digest.schedule import RunReport, compose_due
from paperfeed.ingest.run import Item, ReadCheckpoint, run_source
from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store import upsert_papers
from paperfeed.store.tables import papers
from tests.digest_support import carried_papers, daily_reader

COVERED = date(2026, 6, 29)  # Monday's listing: sent before these tests begin
TUESDAY, WEDNESDAY = date(2026, 6, 30), date(2026, 7, 1)
# The reader's send time is 08:00 UTC; the wait for a running ingest (3 hours) is over by 11:30.
PAST_THE_WAIT = datetime(2026, 6, 30, 11, 30, tzinfo=UTC)


def _paper(n: int, day: date | None, source: str = "listing") -> Paper:
    return Paper(
        f"2606.0630{n}",
        f"Paper {n}",
        "An abstract.",
        ("Ada Lovelace",),
        ("cs.LG",),
        source=source,
        listing_date=day,
    )


def _reader(engine: Engine) -> None:
    with engine.begin() as conn:
        db.insert_subscriber(conn, daily_reader(COVERED))


def _compose(engine: Engine, settings: Settings, day: date) -> RunReport:
    report = RunReport()
    compose_due(
        engine, settings, PAST_THE_WAIT + timedelta(days=(day - TUESDAY).days), False, None, report
    )
    return report


def _in(period: str, *found: Paper) -> set[tuple[str, str]]:
    return {(f"daily:{period}", p.id) for p in found}


@dataclass
class Listing:
    """Papers stored in batches of two; `meanwhile` runs after the first batch is stored."""

    found: list[Paper]
    meanwhile: Callable[[], object] = lambda: None
    name: str = "listing:2026-06-30"

    def items(self, read_checkpoint: ReadCheckpoint) -> Iterator[Item]:
        yield from self.found[:2]
        yield from self.found[2:3]  # read, not stored yet: the first batch is
        self.meanwhile()
        yield from self.found[3:]


def test_a_digest_sent_while_an_ingest_stores_loses_none_of_its_papers(
    settings: Settings, engine: Engine
) -> None:
    """A reader with no mark yet. Tuesday's ingest stores papers 1 and 2 and is still storing
    past the wait, when Tuesday's digest goes with them; the ingest then stores 3 and 4.
    Wednesday's digest carries 3 and 4: every paper of Tuesday reaches the reader once."""
    _reader(engine)
    tuesday = [_paper(n, TUESDAY) for n in (1, 2, 3, 4)]
    sent: list[RunReport] = []
    run_source(
        engine, Listing(tuesday, lambda: sent.append(_compose(engine, settings, TUESDAY))), 2
    )
    assert sent[0].composed == 1 and sent[0].held == 0
    _compose(engine, settings, WEDNESDAY)
    assert carried_papers(engine) == _in("2026-06-30", *tuesday[:2]) | _in(
        "2026-07-01", *tuesday[2:]
    )


def test_a_paper_given_a_covered_day_after_the_digest_goes_in_the_next(
    settings: Settings, engine: Engine
) -> None:
    """Paper 2 is harvested with no listing day before Tuesday's digest; after it, Tuesday's
    listing gives paper 2 that day. Wednesday's digest carries it, once."""
    _reader(engine)
    run_source(engine, Listing([_paper(1, TUESDAY), _paper(2, None, "oai")]), 2)
    _compose(engine, settings, TUESDAY)
    assert carried_papers(engine) == _in("2026-06-30", _paper(1, TUESDAY))
    run_source(engine, Listing([_paper(1, TUESDAY), _paper(2, TUESDAY)]), 2)
    _compose(engine, settings, WEDNESDAY)
    _compose(engine, settings, WEDNESDAY + timedelta(days=1))
    assert carried_papers(engine) == _in("2026-06-30", _paper(1, TUESDAY)) | _in(
        "2026-07-01", _paper(2, TUESDAY)
    )


def test_papers_are_stamped_by_the_stores_clock(engine: Engine) -> None:
    """A paper's first storing is the database's time (its transaction's), not the storing
    process's: an ingest host whose clock is off cannot stamp papers before a digest's mark."""
    with engine.begin() as conn:
        clock = "CURRENT_TIMESTAMP AT TIME ZONE 'UTC'"
        if conn.dialect.name == "sqlite":
            clock = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
        before = conn.execute(text(f"SELECT {clock}")).scalar_one()
        upsert_papers(conn, [_paper(1, TUESDAY)])
        after = conn.execute(text(f"SELECT {clock}")).scalar_one()
        row = conn.execute(select(papers.c.first_seen, papers.c.listed_at)).one()
    if engine.dialect.name == "postgresql":  # one transaction: one time, to the microsecond
        assert row.first_seen == row.listed_at == before == after
    else:  # SQLite is the process's own (one host); its clock keeps milliseconds
        stamp = row.first_seen.isoformat(" ", "milliseconds")
        assert str(before) <= stamp <= str(after) and row.listed_at == row.first_seen
