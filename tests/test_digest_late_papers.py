"""Papers stored on a day a digest already covered go in the reader's next digest, once.

A digest covered listing days, and the next began after them: papers a late harvest added to
a covered day, or the rest of a day an ingest stored after it was killed half-way and resumed
after the digest went, reached no digest. A digest now remembers when it read the store
(`stored_until`), and the next one also carries papers first stored since on the days already
covered (within the catch-up limit: a week, two for weekly readers). Papers it read and did
not pick stay out, and no paper goes twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from paperfeed.digest.schedule import RunReport, compose_due
from paperfeed.ingest.run import Item, ReadCheckpoint, run_source
from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store import upsert_papers
from tests.digest_support import carried_papers, daily_reader

COVERED = date(2026, 6, 29)  # Monday's listing: sent before these tests begin
TUESDAY, WEDNESDAY = date(2026, 6, 30), date(2026, 7, 1)
EIGHT_THIRTY = datetime(2026, 6, 30, 8, 30, tzinfo=UTC)  # the reader's send time is 08:00 UTC


def _paper(n: int, day: date) -> Paper:
    return Paper(
        f"2606.{day.month:02d}{day.day:02d}{n}",
        f"Paper {n} of {day}",
        "An abstract.",
        ("Ada Lovelace",),
        ("cs.LG",),
        source="listing",
        listing_date=day,
    )


def _store(engine: Engine, *found: Paper) -> None:
    with engine.begin() as conn:
        upsert_papers(conn, list(found))


def _reader(engine: Engine, max_papers: int = 10) -> None:
    with engine.begin() as conn:
        db.insert_subscriber(conn, daily_reader(COVERED) | {"max_papers": max_papers})


def _compose(engine: Engine, settings: Settings, day: date) -> RunReport:
    report = RunReport()
    now = EIGHT_THIRTY + timedelta(days=(day - TUESDAY).days)
    compose_due(engine, settings, now, False, None, report)
    return report


def _in(period: str, *found: Paper) -> set[tuple[str, str]]:
    return {(f"daily:{period}", p.id) for p in found}


def test_papers_added_late_to_a_covered_day_go_in_the_next_digest_once(
    settings: Settings, engine: Engine
) -> None:
    """Tuesday's digest picks 3 of Tuesday's 4 papers. A late harvest then adds papers 5 and 6
    to Tuesday, stores paper 1 again, and adds a paper to a day ten days back (past the
    catch-up limit). Wednesday's digest carries 5 and 6 with Wednesday's paper, not the one
    Tuesday's left out, nor paper 1 again; Thursday's, with nothing new stored, carries none."""
    _reader(engine, max_papers=3)
    tuesday = [_paper(n, TUESDAY) for n in (1, 2, 3, 4)]
    _store(engine, *tuesday)
    assert _compose(engine, settings, TUESDAY).composed == 1
    first = carried_papers(engine)
    assert len(first) == 3 and first < _in("2026-06-30", *tuesday)
    late = [_paper(n, TUESDAY) for n in (5, 6)]
    old = _paper(1, TUESDAY - timedelta(days=10))
    _store(engine, *late, tuesday[0], old)
    wednesday = _paper(1, WEDNESDAY)
    _store(engine, wednesday)
    _compose(engine, settings, WEDNESDAY)
    assert carried_papers(engine) == first | _in("2026-07-01", *late, wednesday)
    _compose(engine, settings, WEDNESDAY + timedelta(days=1))
    assert carried_papers(engine) == first | _in("2026-07-01", *late, wednesday)


def test_papers_added_to_a_covered_day_come_without_a_new_listing_day(
    settings: Settings, engine: Engine
) -> None:
    """No listing on Wednesday (a holiday): papers stored late on Tuesday still go then."""
    _reader(engine)
    _store(engine, _paper(1, TUESDAY))
    _compose(engine, settings, TUESDAY)
    _store(engine, _paper(2, TUESDAY))
    _compose(engine, settings, WEDNESDAY)
    assert carried_papers(engine) == _in("2026-06-30", _paper(1, TUESDAY)) | _in(
        "2026-07-01", _paper(2, TUESDAY)
    )


class Killed(BaseException):
    """The ingest process ending part-way (nothing catches it)."""


@dataclass
class Listing:
    """Tuesday's listing, stored in batches of two; killed after the first, if told to."""

    killed: bool
    name: str = "listing:2026-06-30"

    def items(self, read_checkpoint: ReadCheckpoint) -> Iterator[Item]:
        yield from (_paper(1, TUESDAY), _paper(2, TUESDAY))
        if self.killed:
            raise Killed
        yield from (_paper(3, TUESDAY), _paper(4, TUESDAY))


def test_a_killed_and_resumed_ingest_loses_no_paper_to_the_digests(
    settings: Settings, engine: Engine
) -> None:
    """The ingest of Tuesday is killed with papers 1 and 2 stored; Tuesday's digest goes with
    those two; the ingest resumed afterwards stores 3 and 4, which Wednesday's digest carries:
    every paper of Tuesday reaches the reader once."""
    _reader(engine)
    with pytest.raises(Killed):
        run_source(engine, Listing(killed=True), 2)
    assert _compose(engine, settings, TUESDAY).composed == 1
    assert run_source(engine, Listing(killed=False), 2).inserted == 2
    _compose(engine, settings, WEDNESDAY)
    tuesday = [_paper(n, TUESDAY) for n in (1, 2, 3, 4)]
    assert carried_papers(engine) == _in("2026-06-30", *tuesday[:2]) | _in(
        "2026-07-01", *tuesday[2:]
    )
