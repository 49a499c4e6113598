"""Papers stored without a listing day before harvests gave one get it from a migration.

Harvested papers stored long after their announcement had no day (no daily page showed them)
until harvested again. Migration 0031 gives each harvested or snapshot paper without one the
day of the first announcement after its first version; a paper with a day keeps it, a day still
to come is left to the harvest, and digests carry none on a day they covered, nor any twice.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, select, text

from paperfeed.digest.schedule import RunReport, compose_due
from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store import migrate, upsert_papers
from paperfeed.store.tables import papers
from tests.digest_support import carried_papers, daily_reader

FILLED = "0031"  # the migration that gives these papers their days
BEFORE = "0030"  # the one before it
SOON = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)


def _paper(pid: str, source: str, published: datetime | None, day: date | None = None) -> Paper:
    return Paper(pid, f"Paper {pid}", "An abstract.", ("Ada Lovelace",), ("cs.LG",),
                 published=published, source=source, listing_date=day)  # fmt: skip


STORED = [
    _paper("1507.07790", "oai", datetime(2015, 7, 28, 15)),  # Tuesday: Wednesday's listing
    _paper("1412.8323", "snapshot", datetime(2014, 12, 29, 12)),  # Monday: Tuesday's
    _paper("0704.0471", "oai", datetime(2007, 4, 3, 22, 4)),  # Tuesday after the deadline
    _paper("1507.08500", "oai", datetime(2015, 7, 30, 10)),  # Thursday: Friday 31 July's
    _paper("1507.07000", "oai", datetime(2015, 7, 16, 12), date(2015, 7, 20)),  # listed: stays
    _paper("1507.09000", "listing", None, date(2015, 7, 31)),  # Friday's listing
    _paper("1507.06000", "page", datetime(2015, 7, 14, 12)),  # a copied page: no harvest's day
    _paper("2607.00001", "oai", SOON),  # announced after now: the harvest gives its day
]
DAYS = {
    "1507.07790": date(2015, 7, 29),
    "1412.8323": date(2014, 12, 30),
    "0704.0471": date(2007, 4, 5),
    "1507.08500": date(2015, 7, 31),
    "1507.07000": date(2015, 7, 20),
    "1507.09000": date(2015, 7, 31),
    "1507.06000": None,
    "2607.00001": None,
}


def _days(engine: Engine) -> dict[str, date | None]:
    with engine.connect() as conn:
        return {pid: day for pid, day in conn.execute(select(papers.c.id, papers.c.listing_date))}


def _back_to_before(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE alembic_version SET version_num = '{BEFORE}'"))


def test_harvested_papers_without_a_day_get_their_first_announcement_once(
    settings: Settings, engine: Engine
) -> None:
    with engine.begin() as conn:
        upsert_papers(conn, STORED)  # as stored before harvests gave days: none
        db.insert_subscriber(conn, daily_reader(date(2015, 7, 30)))  # sent up to Thursday 30 July
    _back_to_before(engine)
    assert _days(engine)["1507.07790"] is None

    migrate(engine)
    assert _days(engine) == DAYS
    with engine.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert version >= FILLED

    # Friday's digest: Friday's papers, 1507.08500 among them; 1507.07790 is on a day sent.
    for day in (31, 32):  # and Saturday's: nothing new, nothing again
        now = datetime(2015, 7, 31, 12, tzinfo=UTC) + timedelta(days=day - 31)
        compose_due(engine, settings, now, False, None, RunReport())
    assert carried_papers(engine) == {
        ("daily:2015-07-31", "1507.08500"),
        ("daily:2015-07-31", "1507.09000"),
    }

    _back_to_before(engine)  # run again: nothing changes
    migrate(engine)
    assert _days(engine) == DAYS
