"""A store error while serving is logged in one line that names the request without its secrets
(a shared collection's key in its path) and without the statement's parameters (what a user
typed, tokens)."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store.library import user_collections
from tests.disk_support import page_limit
from tests.web_support import DAYS, client, fill_store, on_day, post_form, sign_up, web_settings

TYPED = "copy of the week\r\nFORGED log line"
LONG = " ".join(os.urandom(6).hex() for _ in range(1200))  # more than the free pages hold


def _shared_key(engine: Engine) -> str:
    with engine.connect() as conn:
        (week,) = user_collections(conn, 1)
    assert week.share_key
    return week.share_key


@pytest.fixture
def shared(
    sqlite_settings: Settings, tmp_path: Path, open_migrated: Callable[[Settings], Engine]
) -> Iterator[tuple[Settings, Engine, str]]:
    """A store whose first paper is in a public collection of "lead"'s: its share key."""
    settings = web_settings(sqlite_settings, sqlite_busy_seconds=0.2)
    engine = open_migrated(settings)
    fill_store(engine, settings, tmp_path / "listings")
    pid = sorted(on_day(engine, DAYS[0]))[0]
    with client(settings, engine) as lead:
        sign_up(lead, "lead")
        post_form(lead, f"/papers/{pid}/save", {"collection": "Week", "next": "/library"})
        with engine.connect() as conn:
            (week,) = user_collections(conn, 1)
        public = {"name": "Week", "description": "", "visibility": "public"}
        assert post_form(lead, f"/collections/{week.id}/edit", public).status_code == 303
    yield settings, engine, _shared_key(engine)
    engine.dispose()


def _lines(caplog: pytest.LogCaptureFixture, words: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if words in r.getMessage()]


def test_a_busy_store_is_logged_without_the_share_key(
    shared: tuple[Settings, Engine, str], caplog: pytest.LogCaptureFixture
) -> None:
    settings, engine, key = shared
    with client(settings, engine) as reader:
        sign_up(reader, "reader")
        other = sqlite3.connect(settings.data_dir / "paperfeed.db")
        other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        try:
            with caplog.at_level(logging.WARNING, "paperfeed.web.app"):
                refused = post_form(reader, f"/c/{key}/copy", {"name": TYPED})
        finally:
            other.rollback()
            other.close()
    assert refused.status_code == 503, refused.text
    (line,) = _lines(caplog, "store busy")
    assert line.startswith("store busy on /c/[redacted]/copy: "), line
    assert "\n" not in line and key not in line and "FORGED" not in line


def test_a_full_disk_is_logged_in_one_line_without_what_was_typed(
    shared: tuple[Settings, Engine, str], caplog: pytest.LogCaptureFixture
) -> None:
    settings, engine, _key = shared
    pid = sorted(on_day(engine, DAYS[0]))[0]
    with client(settings, engine) as reader, page_limit(engine) as limit:
        sign_up(reader, "reader")
        limit.fill()
        with caplog.at_level(logging.WARNING, "paperfeed.web.app"):
            refused = post_form(reader, f"/papers/{pid}/comments", {"body": f"{TYPED} {LONG}"})
    assert refused.status_code == 507, refused.text
    (line,) = _lines(caplog, "disk full")
    assert line.startswith(f"disk full on POST /papers/{pid}/comments: "), line
    assert "\n" not in line and "FORGED" not in line and LONG[:40] not in line
    assert "[parameters" not in line and "INSERT" not in line
