"""A full disk: writes get a clear 507 or error, reads go on, nothing stored is lost.

The `small_disk` tests mount a real tmpfs of a few MB and fill it (root only; they skip with the
reason elsewhere). The `page_limit` tests need no root: SQLite's `max_page_count` gives the
SQLITE_FULL error a full disk gives, through the same handling.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.exc import OperationalError

from paperfeed.ingest import files
from paperfeed.ingest.run import StoreFull
from paperfeed.pipeline import ingest_files
from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.store.tables import papers
from paperfeed.util import DiskFull, is_disk_full
from tests.disk_support import Disk, page_limit, small_disk, truncate_wal
from tests.web_support import DAYS, client, fill_store, on_day, sign_up, web_settings

PASSWORD = "correct horse battery"
SNAPSHOT = Path(__file__).parent / "fixtures" / "snapshot" / "arxiv-metadata-oai-snapshot.head200.json"
SNAPSHOT_IDS = 200
# Random text: a comment this long needs new pages in any store (it does not compress).
LONG = " ".join(os.urandom(6).hex() for _ in range(1200))


def _bearer(c: TestClient, username: str) -> dict[str, str]:
    sign_up(c, username, PASSWORD)
    c.cookies.clear()
    token = c.post("/api/login", json={"username": username, "password": PASSWORD}).json()
    return {"Authorization": f"Bearer {token['token']}"}


def _comment(c: TestClient, pid: str, auth: dict[str, str], body: str = LONG):  # type: ignore[no-untyped-def]
    return c.post(f"/api/papers/{pid}/comments", json={"body": body}, headers=auth)


def _integrity(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("PRAGMA integrity_check")).scalar_one())


def _paper_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(papers)).scalar_one())


# --- recognising the error -------------------------------------------------------------------


def test_disk_full_is_recognised_in_every_form_and_nothing_else_is() -> None:
    full = sqlite3.connect(":memory:")
    full.execute("CREATE TABLE t (x)")
    full.execute("PRAGMA max_page_count=2")
    with pytest.raises(sqlite3.OperationalError) as caught:
        full.execute("INSERT INTO t VALUES (randomblob(100000))")
    wrapped = OperationalError("INSERT …", {}, caught.value)
    assert is_disk_full(caught.value) and is_disk_full(wrapped)
    assert is_disk_full(OperationalError("UPDATE …", {}, psycopg.errors.DiskFull("no space")))
    assert is_disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert is_disk_full(DiskFull("the search index's disk is full"))
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as exc:
            raise RuntimeError("writing failed") from exc
    except RuntimeError as exc:
        assert is_disk_full(exc)
    locked = OperationalError("UPDATE …", {}, sqlite3.OperationalError("database is locked"))
    assert not is_disk_full(locked)
    assert not is_disk_full(OSError(errno.EACCES, "Permission denied"))
    assert not is_disk_full(ValueError("no space"))


# --- without root: SQLite's page limit -------------------------------------------------------


def test_a_full_store_gives_507_reads_go_on_and_the_write_succeeds_once_freed(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    settings = web_settings(sqlite_settings)
    engine = open_store(settings)
    fill_store(engine, settings, tmp_path / "listings")
    pid = sorted(on_day(engine, DAYS[1]))[0]
    with client(settings, engine) as c, page_limit(engine) as limit:
        auth = _bearer(c, "ada")
        assert c.post(f"/api/papers/{pid}/upvote", headers=auth).status_code == 200
        limit.fill()
        refused = _comment(c, pid, auth)
        assert refused.status_code == 507, refused.text
        assert "disk is full" in refused.json()["detail"] and refused.headers["retry-after"]
        paper = c.get(f"/api/papers/{pid}")
        assert paper.status_code == 200 and paper.json()["numComments"] == 0
        assert paper.json()["upvotes"] >= 1
        assert c.get("/").status_code == 200
        limit.free()
        assert _comment(c, pid, auth).status_code == 201
        assert c.get(f"/api/papers/{pid}").json()["numComments"] == 1
    assert _integrity(engine) == "ok"
    engine.dispose()


def test_an_ingest_that_fills_the_store_stops_clearly_and_a_rerun_resumes(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "CHECKPOINT_EVERY", 10)  # the fixture has 200 lines
    settings = sqlite_settings.model_copy(update={"batch_size": 20, "embed_on_ingest": False})
    engine = open_store(settings)
    with page_limit(engine) as limit:
        limit.fill()
        assert limit.pages is not None
        limit.pages += 60  # room for a few batches, not for the whole file
        report, failed = ingest_files(engine, settings, "snapshot", [SNAPSHOT])
        assert len(failed) == 1 and "the disk is full" in failed[0], failed
        where = re.search(r"stopped after line (\d+)", failed[0])
        assert where and "run the same command again" in failed[0], failed
        stored = _paper_count(engine)
        assert 0 < stored < SNAPSHOT_IDS and report.inserted == stored
        assert _integrity(engine) == "ok"
        limit.free()
        again, failed = ingest_files(engine, settings, "snapshot", [SNAPSHOT])
    line = int(where[1])
    assert 0 < line <= stored
    assert not failed and again.read == SNAPSHOT_IDS - line  # resumed, not started over
    assert again.inserted == SNAPSHOT_IDS - stored and again.unchanged == stored - line
    assert _paper_count(engine) == SNAPSHOT_IDS
    engine.dispose()


def test_run_source_names_the_disk_full_error(sqlite_settings: Settings) -> None:
    from paperfeed.ingest.run import run_source
    from paperfeed.ingest.snapshot import SnapshotSource

    engine = open_store(sqlite_settings)
    with page_limit(engine) as limit:
        limit.fill()
        with pytest.raises(StoreFull, match="the disk is full") as caught:
            run_source(engine, SnapshotSource(SNAPSHOT), batch_size=50)
    assert caught.value.report is not None and caught.value.report.inserted == 0
    assert is_disk_full(caught.value)
    engine.dispose()
