"""`open_migrated`, for a test file's own store fixture: its store starts as a copy of the one
migrated once for the session, so opening it runs no migration."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, make_url, text

from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.store.db import _MIGRATIONS as MIGRATIONS
from tests.conftest import _FROM_TEMPLATE


def test_a_store_of_its_own_settings_opens_at_the_head_without_migrating(
    settings: Settings,
    open_migrated: Callable[[Settings], Engine],
    caplog: pytest.LogCaptureFixture,
    request: pytest.FixtureRequest,
) -> None:
    own = settings.model_copy(update={"page_size": 3, "secret_key": "o" * 32})
    if settings.database_url is None:
        request.getfixturevalue("migrated_sqlite")  # made (migrated) once, before the logs
    caplog.set_level(logging.INFO, logger="alembic")
    engine = open_migrated(own)
    try:
        with engine.connect() as conn:
            version = conn.scalar(text("SELECT version_num FROM alembic_version"))
    finally:
        engine.dispose()
    assert version == ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert not [r for r in caplog.records if r.getMessage().startswith("Running upgrade")]
    if settings.database_url is not None:
        # Made from the template by pg_url itself: no empty database made first and replaced.
        assert request.node.stash[_FROM_TEMPLATE] == make_url(settings.database_url).database


def test_opening_an_empty_store_does_log_each_migration(
    sqlite_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """What the test above looks for is there when migrations run (so it can fail)."""
    caplog.set_level(logging.INFO, logger="alembic")
    open_store(sqlite_settings).dispose()
    assert [r for r in caplog.records if r.getMessage().startswith("Running upgrade")]
