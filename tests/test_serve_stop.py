"""A stopping server ends a build of the search indexes after its current batch (`serve
--workers 2` over a large store without indexes took 15-17 s to stop: each worker waited for the
whole build); what was written is kept and the next start goes on from there."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, select, text

from paperfeed.search.keyword import KeywordIndex
from paperfeed.search.service import SearchService
from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.store.tables import papers
from tests.web_support import fill_store, web_settings


def _waiting_on_a_lock(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted")))


def _until(check: object, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds  # a hang guard, not a measurement
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the refresh never reached the store"
        time.sleep(0.05)


def test_a_stopped_search_service_ends_its_build_and_the_next_one_resumes(
    pg_url: str, tmp_path: Path
) -> None:
    settings = web_settings(
        Settings(data_dir=tmp_path / "data", database_url=pg_url, _env_file=None)
    )
    engine = open_store(settings)
    fill_store(engine, settings, tmp_path / "listings")
    service = SearchService(settings, engine)
    observer = create_engine(pg_url)
    # Another session holds the papers table, so the build waits at its first batch (as a long
    # build is somewhere in its batches when SIGTERM comes).
    with engine.connect() as blocker:
        held = blocker.begin()
        blocker.execute(text("LOCK TABLE papers IN ACCESS EXCLUSIVE MODE"))
        build = threading.Thread(target=service.refresh)
        build.start()
        _until(lambda: _waiting_on_a_lock(observer))
        service.stop()  # what the stopping server's lifespan does first
        held.rollback()
    build.join(timeout=120)
    assert not build.is_alive()
    service.close()
    assert KeywordIndex(settings.index_dir / "keyword").num_docs == 0  # no whole build after stop

    again = SearchService(settings, engine)  # the next start
    again.refresh()
    with engine.connect() as conn:
        stored = conn.scalar(select(func.count()).select_from(papers).where(~papers.c.hidden))
    assert stored and again.keyword.num_docs == stored
    assert again.search("Learning", limit=3).hits
    again.close()
    observer.dispose()
    engine.dispose()


pytestmark = pytest.mark.slow
