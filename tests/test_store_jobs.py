"""Job runs, job locks and the admin log on both databases."""

from __future__ import annotations

import threading
from datetime import timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, update

from paperfeed.store import jobs as db
from paperfeed.store.accounts import create_user, find_user, set_suspended
from paperfeed.store.tables import metadata
from paperfeed.util import utcnow

OURS = {"job_runs", "job_locks", "admin_actions"}


def test_migration_matches_tables(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    flat = [d for group in diff for d in (group if isinstance(group, list) else [group])]
    ours = [d for d in flat if any(name in repr(d) for name in OURS | {"suspended_at"})]
    assert ours == []


def test_a_lock_has_one_holder_at_a_time(engine: Engine) -> None:
    with db.job_lock(engine, "harvest", "a:1:x") as first:
        with db.job_lock(engine, "harvest", "a:1:y") as second:
            assert first and not second
        with db.job_lock(engine, "embed", "a:1:y") as other:
            assert other  # locks are per job
    with db.job_lock(engine, "harvest", "a:1:y") as again:
        assert again  # released at the end of the block


def test_a_lock_is_exclusive_across_threads(engine: Engine) -> None:
    entered, inside, release = [], threading.Event(), threading.Event()

    def runner(name: str) -> None:
        with db.job_lock(engine, "digests", f"{db.node_name()}:{name}") as held:
            if held:
                entered.append(name)
                inside.set()
                release.wait(10)

    first = threading.Thread(target=runner, args=("one",))
    first.start()
    inside.wait(10)
    runner("two")
    release.set()
    first.join()
    assert entered == ["one"]


def test_an_expired_or_dead_row_lock_is_taken_over(sqlite_settings) -> None:  # type: ignore[no-untyped-def]
    from paperfeed.store import open_store

    engine = open_store(sqlite_settings)
    with engine.begin() as conn:
        assert db.take_row_lock(conn, "harvest", "otherhost:1:x", timedelta(minutes=5))
        assert not db.take_row_lock(conn, "harvest", "otherhost:2:x", timedelta(minutes=5))
        assert db.take_row_lock(conn, "harvest", "h:3", timedelta(minutes=5), ["otherhost:1:x"])
        conn.execute(update(db.job_locks).values(expires_at=utcnow() - timedelta(seconds=1)))
        assert db.take_row_lock(conn, "harvest", "otherhost:4:x", timedelta(minutes=5))
    assert db.holder_is_dead(f"{db.node_name().split(':')[0]}:999999999:x")
    assert not db.holder_is_dead(db.node_name() + ":x")


def test_runs_are_recorded_and_stale_ones_abandoned(engine: Engine) -> None:
    with engine.begin() as conn:
        first = db.start_run(conn, "harvest", "2026-12-01", "schedule", "n1")
        db.finish_run(conn, first, "failed", {"read": 3}, "source down")
        second = db.start_run(conn, "harvest", "2026-12-01", "schedule", "n1")
        assert db.slot_status(conn, ["harvest", "embed"], "2026-12-01") == {"harvest": "running"}
        assert db.abandon_running(conn, "harvest") == 1
        third = db.start_run(conn, "harvest", "2026-12-01", "schedule", "n2")
        db.finish_run(conn, third, "ok", {"read": 9}, None)
        runs = db.recent_runs(conn)
        assert db.slot_status(conn, ["harvest"], "2026-12-01") == {"harvest": "ok"}
        assert db.run_counts(conn)[("harvest", "abandoned")] == 1
    assert [(r.id, r.status) for r in runs] == [
        (third, "ok"),
        (second, "abandoned"),
        (first, "failed"),
    ]
    assert runs[0].counts == {"read": 9} and runs[2].error == "source down"


def test_admin_actions_and_suspension(engine: Engine) -> None:
    with engine.begin() as conn:
        user = create_user(conn, "Mallory", "hash")
        db.record_action(conn, "root", "suspend", "Mallory")
        assert set_suspended(conn, user.id, True)
        assert find_user(conn, "mallory") is None
        assert set_suspended(conn, user.id, False)
        assert find_user(conn, "mallory") is not None
        actions = db.recent_actions(conn)
    assert [(a.who, a.action, a.target) for a in actions] == [("root", "suspend", "Mallory")]


def test_a_slots_failures_and_a_run_to_resume(engine: Engine) -> None:
    from datetime import UTC, datetime

    t0 = datetime(2026, 11, 30, 1, 0)
    with engine.begin() as conn:
        assert db.slot_failures(conn, "harvest", "2026-11-30") == (0, None)
        assert db.to_resume(conn, "harvest") is None
        for minutes in (0, 7):
            run = db.start_run(conn, "harvest", "2026-11-30", "schedule", "n1", t0)
            db.finish_run(conn, run, "failed", {}, "down", t0 + timedelta(minutes=minutes))
        other = db.start_run(conn, "harvest", "2026-11-29", "schedule", "n1", t0)
        db.finish_run(conn, other, "failed", {}, "down", t0 + timedelta(hours=1))
        assert db.slot_failures(conn, "harvest", "2026-11-30") == (2, t0 + timedelta(minutes=7))
        cut = db.start_run(conn, "harvest", None, "admin", "dead:1")
        assert getattr(db.to_resume(conn, "harvest"), "id", None) == cut  # left running
        db.abandon_running(conn, "harvest")
        assert getattr(db.to_resume(conn, "harvest"), "status", None) == "abandoned"
        done = db.start_run(conn, "harvest", None, "resume", "n2")
        db.finish_run(conn, done, "ok", {}, None)
        assert db.to_resume(conn, "harvest") is None  # finished by the resume run
        assert db.last_schedule_check(conn) is None
        db.note_schedule_check(conn, datetime(2026, 12, 4, 22, 0, tzinfo=UTC), 41)
        db.note_schedule_check(conn, datetime(2026, 12, 4, 22, 1, tzinfo=UTC), 42)
        assert db.last_schedule_check(conn) == (datetime(2026, 12, 4, 22, 1, tzinfo=UTC), 42)
