"""A reader's visits on both databases: recorded once per gap, the previous one moving up, and
the papers listed since it ("New")."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, select, update

from paperfeed.models import Paper
from paperfeed.store import upsert_papers
from paperfeed.store.accounts import User, create_user, user_by_id, users
from paperfeed.store.erasure import delete_account, export_account
from paperfeed.store.listings import count_listed_since, papers_between
from paperfeed.store.tables import papers
from paperfeed.store.visits import VISIT_GAP, listed_since, record_visit
from tests.web_support import statements

T0 = datetime(2026, 7, 1, 9, 0)
DAY = date(2026, 7, 1)
BASE = Paper(
    id="2607.00001",
    title="A paper",
    abstract="We study things.",
    authors=("Ada Lovelace",),
    categories=("cs.LG",),
    source="listing",
    listing_date=DAY,
)
IDS = [f"2607.{n:05d}" for n in range(1, 5)]


def _reader(engine: Engine) -> User:
    with engine.begin() as conn:
        made = create_user(conn, "vera", "x")
        found = user_by_id(conn, made.id)
    assert found is not None
    return found


def _visits(engine: Engine, user_id: int) -> tuple[datetime | None, datetime | None]:
    with engine.connect() as conn:
        query = select(users.c.last_visit_at, users.c.previous_visit_at)
        row = conn.execute(query.where(users.c.id == user_id)).one()
    return row.last_visit_at, row.previous_visit_at


def _visit(engine: Engine, user: User, now: datetime) -> User:
    with engine.begin() as conn:
        return record_visit(conn, user, now)


def _reload(engine: Engine, user_id: int) -> User:
    with engine.connect() as conn:
        found = user_by_id(conn, user_id)
    assert found is not None
    return found


def test_a_first_visit_is_recorded_with_no_previous_one(engine: Engine) -> None:
    user = _reader(engine)
    assert (user.last_visit, user.previous_visit) == (None, None)
    seen = _visit(engine, user, T0)
    assert (seen.last_visit, seen.previous_visit) == (T0, None)
    assert _visits(engine, user.id) == (T0, None)
    assert (_reload(engine, user.id).last_visit, _reload(engine, user.id).previous_visit) == (
        T0,
        None,
    )


def test_page_views_within_the_gap_write_nothing(engine: Engine) -> None:
    user = _visit(engine, _reader(engine), T0)
    later = T0 + VISIT_GAP - timedelta(seconds=1)
    with statements(engine) as seen:
        again = _visit(engine, _reload(engine, user.id), later)
    assert not [s for s in seen if s.upper().startswith("UPDATE")]
    assert (again.last_visit, again.previous_visit) == (T0, None)
    assert _visits(engine, user.id) == (T0, None)


def test_a_visit_after_the_gap_moves_the_last_one_to_previous(engine: Engine) -> None:
    user = _visit(engine, _reader(engine), T0)
    t1 = T0 + VISIT_GAP + timedelta(seconds=1)
    seen = _visit(engine, _reload(engine, user.id), t1)
    assert (seen.last_visit, seen.previous_visit) == (t1, T0)
    assert _visits(engine, user.id) == (t1, T0)
    t2 = t1 + timedelta(days=3)
    _visit(engine, _reload(engine, user.id), t2)
    assert _visits(engine, user.id) == (t2, t1)


def test_a_stale_reading_of_the_same_visit_changes_nothing(engine: Engine) -> None:
    # Two requests of one new visit at once: both read the old row, the second finds it moved.
    user = _visit(engine, _reader(engine), T0)
    stale = _reload(engine, user.id)
    t1 = T0 + timedelta(hours=2)
    _visit(engine, stale, t1)
    second = _visit(engine, stale, t1 + timedelta(seconds=5))
    assert second.previous_visit == T0
    assert _visits(engine, user.id) == (t1, T0)


def _fill(engine: Engine) -> None:
    """Four papers of one day, put on it an hour before T0, the last two an hour after."""
    with engine.begin() as conn:
        upsert_papers(conn, [replace(BASE, id=pid) for pid in IDS])
        stamp = update(papers).where(papers.c.id.in_(IDS[:2])).values(listed_at=T0 - VISIT_GAP)
        conn.execute(stamp)
        stamp = update(papers).where(papers.c.id.in_(IDS[2:])).values(listed_at=T0 + VISIT_GAP)
        conn.execute(stamp)


def test_papers_listed_since_a_visit(engine: Engine) -> None:
    _fill(engine)
    with engine.connect() as conn:
        assert listed_since(conn, IDS, T0) == set(IDS[2:])
        assert listed_since(conn, IDS[:3], T0) == {IDS[2]}
        assert listed_since(conn, IDS, None) == set()  # a first visit: nothing is new
        assert count_listed_since(conn, DAY, DAY, T0) == 2
        assert count_listed_since(conn, DAY, DAY, T0, ("cs.CV",)) == 0
        page = papers_between(conn, DAY, DAY, 0, 10, since=T0)
        assert (sorted(page.ids), page.total) == (IDS[2:], 2)
        assert papers_between(conn, DAY, DAY, 0, 10).total == 4


def test_the_export_lists_the_visits_and_deletion_clears_them(engine: Engine) -> None:
    user = _visit(engine, _reader(engine), T0)
    t1 = T0 + timedelta(hours=5)
    _visit(engine, _reload(engine, user.id), t1)
    with engine.begin() as conn:
        exported = export_account(conn, user.id)
        assert exported is not None
        account = exported["account"]
        assert (account["last_visit_at"], account["previous_visit_at"]) == (
            t1.isoformat(),
            T0.isoformat(),
        )
        assert delete_account(conn, user.id)
    assert _visits(engine, user.id) == (None, None)
