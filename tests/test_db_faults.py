"""Database faults: PostgreSQL stops under use (503s, never 500s) and comes back (no restart)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from paperfeed.settings import Settings
from paperfeed.store import open_store
from tests.pgcluster import Cluster, start_cluster_or_skip
from tests.web_support import DAYS, bearer, client, fill_store, on_day, web_settings

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery"


@pytest.fixture
def own_cluster() -> Iterator[Cluster]:
    """A cluster of this test's own, since it is stopped and started again."""
    cluster = start_cluster_or_skip()
    yield cluster
    cluster.stop()


def _until(check: object, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.3)
    return False


def test_postgres_restart_gives_503s_then_recovers(own_cluster: Cluster, tmp_path: Path) -> None:
    admin = create_engine(own_cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('CREATE DATABASE "faults"'))
    admin.dispose()
    base = Settings(  # type: ignore[call-arg]
        data_dir=tmp_path / "data", database_url=own_cluster.url("faults"), _env_file=None
    )
    settings = web_settings(base)
    engine = open_store(settings)
    fill_store(engine, settings, tmp_path / "listings")
    pid = sorted(on_day(engine, DAYS[1]))[0]
    with client(settings, engine) as c:
        auth = bearer(c, "ada", PASSWORD)
        assert c.post(f"/api/papers/{pid}/upvote", headers=auth).status_code == 200

        own_cluster.pause()
        down = [
            c.get("/api/trending", params={"limit": 7}).status_code,
            c.get(f"/api/papers/{pid}").status_code,
            c.post(f"/api/papers/{pid}/upvote", headers=auth).status_code,
            c.get(f"/papers/{pid}/bibtex").status_code,
        ]
        assert 500 not in down and set(down) <= {503}, down

        own_cluster.resume()
        assert _until(lambda: c.get("/api/trending", params={"limit": 8}).status_code == 200)
        assert c.delete(f"/api/papers/{pid}/upvote", headers=auth).status_code == 200
        ready = c.get("/readyz").json()  # the store is reachable again (search may still load)
        assert not any("store" in p for p in ready["problems"]), ready
    engine.dispose()


def test_a_locked_sqlite_store_gives_503_not_500(sqlite_settings: Settings, tmp_path: Path) -> None:
    settings = web_settings(sqlite_settings, sqlite_busy_seconds=0.5)
    engine = open_store(settings)
    fill_store(engine, settings, tmp_path / "listings")
    pid = sorted(on_day(engine, DAYS[1]))[0]
    with client(settings, engine) as c:
        auth = bearer(c, "ada", PASSWORD)
        other = sqlite3.connect(settings.data_dir / "paperfeed.db")
        other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        try:
            locked = c.post(f"/api/papers/{pid}/upvote", headers=auth)
            reading = c.get(f"/api/papers/{pid}")  # WAL: readers are not blocked
        finally:
            other.rollback()
            other.close()
        assert locked.status_code == 503 and locked.headers["retry-after"]
        assert reading.status_code == 200
        assert c.post(f"/api/papers/{pid}/upvote", headers=auth).status_code == 200
    engine.dispose()
