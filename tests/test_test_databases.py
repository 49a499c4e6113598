"""The fixtures' databases: empty where a test migrates one itself; where a test uses the shared
`engine`, a copy of the store migrated once for the session, made in one step on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.pool import NullPool

from paperfeed.settings import Settings
from paperfeed.store.db import _MIGRATIONS as MIGRATIONS
from tests.conftest import _FROM_TEMPLATE
from tests.pgcluster import Cluster


def _tables(url: str) -> int:
    probe = create_engine(url, poolclass=NullPool)
    with probe.connect() as conn:
        n = conn.scalar(
            text("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace")
        )
    probe.dispose()
    return int(n or 0)


def test_a_test_with_only_a_database_url_gets_an_empty_database(pg_url: str) -> None:
    assert _tables(pg_url) == 0


def test_settings_without_the_engine_name_an_empty_store(settings: Settings) -> None:
    if settings.database_url is None:
        assert not Path(make_url(settings.sqlalchemy_url).database or "").exists()
    else:
        assert _tables(settings.database_url) == 0


def test_the_shared_engine_is_a_store_at_the_newest_migration(
    settings: Settings, engine: Engine, request: pytest.FixtureRequest
) -> None:
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == head
    if settings.database_url is not None:
        # Made from the template by pg_url itself: no empty database made first and replaced.
        assert request.node.stash[_FROM_TEMPLATE] == make_url(settings.database_url).database


class TestAnEngineOfItsOwn:
    """A test file's own `engine` fixture is left the empty database it asks for."""

    @pytest.fixture
    def engine(self, pg_url: str) -> str:
        return pg_url

    def test_its_database_starts_empty(self, engine: str, request: pytest.FixtureRequest) -> None:
        assert _tables(engine) == 0
        assert _FROM_TEMPLATE not in request.node.stash


# What a run leaves behind: each test's database and (when it passes) its tmp_path go when the
# test ends. CI once ran out of disk with a whole run's kept. The second test reads what the
# first recorded (a file's tests run in order, in one process).
_LEFT: dict[str, str] = {}


def test_a_test_records_its_database_and_folder(pg_url: str, tmp_path: Path) -> None:
    (tmp_path / "big").write_bytes(b"x" * 1024)
    _LEFT["database"] = make_url(pg_url).database or ""
    _LEFT["folder"] = str(tmp_path)
    assert _tables(pg_url) == 0


def test_the_last_tests_database_and_folder_are_gone(pg_cluster: Cluster) -> None:
    if not _LEFT:
        pytest.skip("run with the test before it")
    admin = create_engine(pg_cluster.url(), poolclass=NullPool)
    with admin.connect() as conn:
        names = set(conn.scalars(text("SELECT datname FROM pg_database")))
    admin.dispose()
    assert "postgres" in names
    assert _LEFT["database"] not in names
    assert not Path(_LEFT["folder"]).exists()
