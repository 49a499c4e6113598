"""A restore cut short leaves either nothing or everything, its new identity included, and Ctrl-C
says so (real stores, a real `paperfeed restore` process and a real SIGINT)."""

from __future__ import annotations

import os
from collections.abc import Iterator
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
from paperfeed.store.tables import papers
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
