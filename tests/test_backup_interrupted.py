"""A restore cut short leaves either nothing or everything, its new identity included, and Ctrl-C
says so (real stores, a real `paperfeed restore` process and a real SIGINT)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, create_engine, event, func, select, text
from sqlalchemy.pool import NullPool

from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.store.accounts import saved_store_identity, store_identity
from paperfeed.store.backup import backup, restore
from paperfeed.store.jobs import admin_actions
from paperfeed.store.tables import papers
from paperfeed.util import utcnow
from tests.pgcluster import Cluster
from tests.web_support import fill_store, web_settings

_names = count()


class Killed(BaseException):
    """The restore's process dies here (as a SIGKILL or a power cut would end it)."""


def _source(tmp_path: Path, url: str | None) -> Settings:
    data = tmp_path / "source"
    made = Settings(data_dir=data, database_url=url, request_delay=0.0, _env_file=None)  # type: ignore[call-arg]
    return web_settings(made)


def _second_pg(cluster: Cluster) -> str:
    name = f"src{os.getpid()}_{next(_names)}"
    admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return cluster.url(name)


def _made_backup(tmp_path: Path, url: str | None) -> tuple[Path, int, int]:
    """A real backup of a filled store: the file, the store's identity, its paper count."""
    settings = _source(tmp_path, url)
    engine = open_store(settings)
    fill_store(engine, settings, tmp_path / "listings")
    with engine.begin() as conn:
        identity = store_identity(conn)
        total = int(conn.execute(select(func.count()).select_from(papers)).scalar_one())
    file = tmp_path / ("backup.db" if url is None else "backup.dump.gz")
    backup(engine, file)
    engine.dispose()
    return file, identity, total


@contextmanager
def _dies_after_first_commit(engine: Engine) -> Iterator[None]:
    """The process dies as the next transaction after the first commit begins."""
    commits: list[Connection] = []

    def on_commit(conn: Connection) -> None:
        commits.append(conn)

    def on_begin(conn: Connection) -> None:
        if commits:
            raise Killed

    event.listen(engine, "commit", on_commit)
    event.listen(engine, "begin", on_begin)
    try:
        yield
    finally:
        event.remove(engine, "commit", on_commit)
        event.remove(engine, "begin", on_begin)


@pytest.mark.parametrize("kind", ["sqlite-file", "postgresql-dump"])
def test_a_restore_killed_after_its_copy_commits_has_its_new_identity(
    engine: Engine, tmp_path: Path, pg_cluster: Cluster, kind: str
) -> None:
    """The rows were committed in one transaction and the new identity in a second: a kill
    between the two left a whole restore that search indexes of the old store took for theirs,
    and a re-run refused it (the store was not empty)."""
    url = None if kind == "sqlite-file" else _second_pg(pg_cluster)
    file, old_identity, total = _made_backup(tmp_path, url)
    with _dies_after_first_commit(engine), suppress(Killed):
        restore(engine, file)
    with engine.connect() as conn:
        restored = int(conn.execute(select(func.count()).select_from(papers)).scalar_one())
        identity = saved_store_identity(conn)
    assert restored == total > 20
    assert identity is not None and identity != old_identity


ACTIONS = 100_000  # rows enough that a SQLite restore is still copying when Ctrl-C comes


def _big_sqlite_backup(tmp_path: Path) -> tuple[Path, int]:
    """A real backup of a SQLite store of papers and a long admin log; the file, its papers."""
    settings = _source(tmp_path, None)
    engine = open_store(settings)
    fill_store(engine, settings, tmp_path / "listings")
    log = [
        {"who": "ada", "action": "hide", "target": f"c{n}", "at": utcnow()} for n in range(ACTIONS)
    ]
    with engine.begin() as conn:
        conn.execute(admin_actions.insert(), log)
        total = int(conn.execute(select(func.count()).select_from(papers)).scalar_one())
    file = tmp_path / "big.backup"
    backup(engine, file)
    engine.dispose()
    return file, total


def _env(settings: Settings) -> dict[str, str]:
    env = dict(
        os.environ, PAPERFEED_DATA_DIR=str(settings.data_dir), PAPERFEED_EMBED_MODEL="static"
    )
    if settings.database_url:
        env["PAPERFEED_DATABASE_URL"] = settings.database_url
    return env


def _sqlite_write_locked(database: Path) -> bool:
    probe = sqlite3.connect(database, timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.rollback()
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


@contextmanager
def _pg_table_held(engine: Engine, table: str) -> Iterator[Callable[[], bool]]:
    """Hold `table` against writes (reads go on); yields: is another session waiting on it?"""
    with engine.connect() as holder:
        holder.execute(text(f"LOCK TABLE {table} IN SHARE MODE"))
        query = text(
            "SELECT count(*) FROM pg_locks WHERE relation = CAST(:t AS regclass) AND NOT granted"
        )
        with engine.connect() as watcher:
            yield lambda: bool(watcher.execute(query, {"t": table}).scalar_one())
            watcher.rollback()
        holder.rollback()


def _interrupt_when(proc: subprocess.Popen[str], ready: Callable[[], bool]) -> str:
    """Ctrl-C (SIGINT) the process once `ready()` holds; its stderr, after it ended."""
    while proc.poll() is None and not ready():
        time.sleep(0.02)
    assert proc.poll() is None, "it ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=180)  # a hang guard, not a timing
    return stderr


def test_ctrl_c_mid_restore_says_nothing_was_written_and_the_rerun_restores(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    """It printed click's bare 'Aborted!', saying neither what was kept nor what to do."""
    file, total = _big_sqlite_backup(tmp_path)
    cmd = [sys.executable, "-m", "paperfeed", "restore", str(file)]
    env = _env(settings)
    if engine.dialect.name == "postgresql":
        # The restore waits on a table the test holds: Ctrl-C lands mid-copy, every time.
        with _pg_table_held(engine, "admin_actions") as waiting:
            proc = subprocess.Popen(
                cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            stderr = _interrupt_when(proc, waiting)
    else:
        database = Path(str(engine.url.database))
        proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        stderr = _interrupt_when(proc, lambda: _sqlite_write_locked(database))
    said = " ".join(stderr.split())
    assert proc.returncode == 130, said
    assert "restore: interrupted; nothing was written (the restore is one transaction)" in said
    assert "run it again" in said and "Aborted" not in said and "Traceback" not in said
    assert _papers(engine) == 0

    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert _papers(engine) == total > 20


def _papers(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(papers)).scalar_one())
