"""Migration 0021 on a store shaped as earlier versions left it: harvested papers with no
listing day, and old papers a listing re-announced dated by that listing."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import Engine, select, text

from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store import migrate, upsert_papers
from paperfeed.store.tables import papers
from tests.web_support import client, web_settings

BEFORE = "0020"  # the revision this migration follows
AFTER = "0021"  # this migration (0031 then gives day-less harvested papers a day: its own tests)
SEEN = datetime(2026, 6, 30, 9, 0)  # when the old daily harvest stored the new papers

# id, source, v1 submitted (naive UTC), first seen, day stored, day expected after the upgrade
CASES = [
    # Thursday 06:00 US Eastern: mailed that evening, dated Friday
    (
        "2606.10001",
        "oai",
        datetime(2026, 6, 25, 10, 0),
        datetime(2026, 6, 26, 7),
        None,
        date(2026, 6, 26),
    ),
    # Friday 15:00 Eastern, after the deadline: mailed Monday evening, dated Tuesday
    ("2606.10002", "oai", datetime(2026, 6, 26, 19, 0), SEEN, None, date(2026, 6, 30)),
    # Thursday 15:00 Eastern: Friday's deadline, mailed Sunday evening, dated Monday
    ("2606.10003", "oai", datetime(2026, 6, 25, 19, 0), SEEN, None, date(2026, 6, 29)),
    # the arXiv format's date alone (a Wednesday): dated Thursday, as OAI stamped such records
    (
        "1712.10004",
        "oai",
        datetime(2017, 12, 13),
        datetime(2017, 12, 14, 8),
        None,
        date(2017, 12, 14),
    ),
    # submitted on Saturday, dated Tuesday, but harvested on Monday: never after the harvest
    (
        "2606.10005",
        "oai",
        datetime(2026, 6, 27, 12, 0),
        datetime(2026, 6, 29, 6),
        None,
        date(2026, 6, 29),
    ),
    # a paper of 2014 harvested in 2026 (a replacement, or history): no day, as a harvest now
    ("1412.8323", "oai", datetime(2014, 12, 29), SEEN, None, None),
    # an old paper a listing of 2026-06-29 re-announced, dated by it: that day goes
    ("2411.19594", "listing", None, SEEN, date(2026, 6, 29), None),
    # ... also when it was harvested before (the old harvest gave no day, the listing did)
    ("2401.00001", "oai", datetime(2024, 1, 2, 10), SEEN, date(2026, 6, 29), None),
    # a listing's new paper, and one of last month: kept
    ("2606.30001", "listing", None, SEEN, date(2026, 6, 29), date(2026, 6, 29)),
    ("2605.30002", "listing", None, SEEN, date(2026, 6, 29), date(2026, 6, 29)),
    # Hugging Face's day for an old paper is its day there: kept
    ("2310.00001", "hf", None, SEEN, date(2026, 6, 29), date(2026, 6, 29)),
    # a paper already listed by the new harvest keeps its day
    ("2606.10006", "oai", datetime(2026, 6, 25, 10, 0), SEEN, date(2026, 6, 26), date(2026, 6, 26)),
]


def _old_store(engine: Engine) -> None:
    """Papers as an earlier version stored them, and the store at the revision before 0021."""
    rows = [
        Paper(pid, f"Paper {pid}", "An abstract.", ("Ada Lovelace",), ("cs.LG",), source=source,
              published=published, listing_date=day, first_seen=seen)
        for pid, source, published, seen, day, _ in CASES
    ]  # fmt: skip
    with engine.begin() as conn:
        upsert_papers(conn, rows)
        conn.execute(text(f"UPDATE alembic_version SET version_num = '{BEFORE}'"))


def _days(engine: Engine) -> dict[str, date | None]:
    with engine.connect() as conn:
        return {
            r.id: r.listing_date for r in conn.execute(select(papers.c.id, papers.c.listing_date))
        }


def _stamps(engine: Engine) -> dict[str, tuple[datetime, str | None]]:
    query = select(papers.c.id, papers.c.changed_at, papers.c.fingerprint)
    with engine.connect() as conn:
        return {r.id: (r.changed_at, r.fingerprint) for r in conn.execute(query)}


def test_harvested_papers_get_their_announcement_and_re_announced_ones_lose_the_listing_day(
    settings: Settings, engine: Engine
) -> None:
    site = web_settings(settings)
    _old_store(engine)
    before = _stamps(engine)
    with client(site, engine) as c:
        friday = c.get("/api/daily_papers?date=2026-06-26").json()
        assert [d["paper"]["id"] for d in friday] == ["2606.10006"]  # what old stores showed

    migrate(engine, to=AFTER)
    assert _days(engine) == {pid: want for pid, *_, want in CASES}
    after = _stamps(engine)
    changed = {pid for pid, _, _, _, day, want in CASES if day != want}
    assert {pid for pid in after if after[pid] != before[pid]} == changed
    assert all(after[pid][0] > before[pid][0] and after[pid][1] is None for pid in changed)
    with client(site, engine) as c:
        friday = c.get("/api/daily_papers?date=2026-06-26").json()
        monday = c.get("/api/daily_papers?date=2026-06-29").json()
        page = c.get("/papers/2411.19594")
        assert c.get("/api/papers/2411.19594").json()["listingDate"] is None
    assert sorted(d["paper"]["id"] for d in friday) == ["2606.10001", "2606.10006"]
    assert sorted(d["paper"]["id"] for d in monday) == [
        "2310.00001", "2605.30002", "2606.10003", "2606.10005", "2606.30001"
    ]  # fmt: skip
    assert page.status_code == 200 and "Paper 2411.19594" in page.text


def test_running_it_again_changes_nothing(settings: Settings, engine: Engine) -> None:
    _old_store(engine)
    migrate(engine, to=AFTER)
    days, stamps = _days(engine), _stamps(engine)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE alembic_version SET version_num = '{BEFORE}'"))
    migrate(engine, to=AFTER)
    assert _days(engine) == days and _stamps(engine) == stamps


def _refuse_update(engine: Engine, paper_id: str) -> None:
    """A fault on writing one paper, as a kill part-way through the upgrade would leave it."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text(
                "CREATE TRIGGER refuse BEFORE UPDATE ON papers "
                f"WHEN NEW.id = '{paper_id}' BEGIN SELECT RAISE(ABORT, 'cut off'); END"
            ))  # fmt: skip
            return
        conn.execute(text(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'cut off'; END $$"
        ))  # fmt: skip
        conn.execute(text(
            "CREATE TRIGGER refuse BEFORE UPDATE ON papers FOR EACH ROW "
            f"WHEN (NEW.id = '{paper_id}') EXECUTE FUNCTION refuse()"
        ))  # fmt: skip


def test_an_upgrade_cut_off_part_way_leaves_the_store_as_it_was_and_runs_again(
    settings: Settings, engine: Engine
) -> None:
    _old_store(engine)
    days = _days(engine)
    _refuse_update(engine, "2606.10002")  # written after 1412.8323 ... 2411.19594 (id order)
    with pytest.raises(Exception, match="cut off"):
        migrate(engine, to=AFTER)
    assert _days(engine) == days
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == BEFORE
    with engine.begin() as conn:
        on = "" if engine.dialect.name == "sqlite" else " ON papers"
        conn.execute(text(f"DROP TRIGGER refuse{on}"))
    migrate(engine, to=AFTER)
    assert _days(engine) == {pid: want for pid, *_, want in CASES}
