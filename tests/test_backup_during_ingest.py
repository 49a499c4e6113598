"""Drill: backups taken while another process imports papers hold a consistent state (every
paper whole, no part of a batch in flight, the import's own state agreeing with the papers)
and restore cleanly, into either database; the import, rerun on the restored store, ends it."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import count
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.pool import NullPool

from paperfeed.pipeline import ingest_files
from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.store.backup import backup, restore
from paperfeed.store.tables import checkpoints, paper_authors, paper_categories, papers, versions
from tests.pgcluster import Cluster

SNAPSHOT = (
    Path(__file__).parent / "fixtures" / "snapshot" / "arxiv-metadata-oai-snapshot.head200.json"
)
BATCH = 2  # many small commits, so that backups land between (and during) them
MOST = 8  # backups taken (each is restored and checked)
_names = count()


def _env(settings: Settings) -> dict[str, str]:
    env = dict(
        os.environ, PAPERFEED_DATA_DIR=str(settings.data_dir), PAPERFEED_EMBED_MODEL="static"
    )
    env |= {"PAPERFEED_BATCH_SIZE": str(BATCH), "PAPERFEED_BULK_INGEST_BYTES": str(10**12)}
    if settings.database_url:
        env["PAPERFEED_DATABASE_URL"] = settings.database_url
    return env


def _file_order() -> list[str]:
    return [json.loads(line)["id"] for line in SNAPSHOT.read_text().splitlines() if line.strip()]


def _state(engine: Engine) -> dict[str, Any]:
    """Per paper: its versions, authors and categories; and the import's checkpoints."""
    found: dict[str, Any] = {"papers": {}, "checkpoints": {}}
    with engine.connect() as conn:
        for pid in conn.scalars(select(papers.c.id)):
            found["papers"][pid] = {"versions": [], "authors": [], "categories": []}
        parts = (
            ("versions", versions, versions.c.version),
            ("authors", paper_authors, paper_authors.c.name),
            ("categories", paper_categories, paper_categories.c.category),
        )
        for key, table, column in parts:
            query = select(table.c.paper_id, column).order_by(*table.primary_key.columns)
            for pid, value in conn.execute(query):
                found["papers"][pid][key].append(value)
        marks = conn.execute(select(checkpoints.c.name, checkpoints.c.value))
        found["checkpoints"] = {name: value for name, value in marks}
    return found


def _consistent(state: dict[str, Any], final: dict[str, Any], order: list[str]) -> None:
    """The backed-up papers are the import's first n, each as whole as in the finished import,
    and a checkpoint, if any, covers only stored papers."""
    stored = state["papers"]
    done = [pid for pid in order if pid in final["papers"]]
    assert set(stored) == set(done[: len(stored)]), "a paper out of the import's order"
    for pid, parts in stored.items():
        assert parts == final["papers"][pid], f"{pid} half stored"
    for line in state["checkpoints"].values():
        assert set(order[: int(line)]) <= set(stored)


def _second_pg(cluster: Cluster) -> str:
    name = f"drill{os.getpid()}_{next(_names)}"
    admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return cluster.url(name)


@contextmanager
def _held(engine: Engine) -> Iterator[Callable[[], bool]]:
    """Hold the import part-way; yields: is it held yet? PostgreSQL: its first batch waits,
    written but not committed, on the versions table; SQLite (one writer at a time): once a
    batch is in, its next waits for the test's write lock."""
    if engine.dialect.name != "postgresql":
        with _sqlite_held(Path(str(engine.url.database))) as held:
            yield held
        return
    with engine.connect() as holder:
        holder.execute(text("LOCK TABLE versions IN SHARE MODE"))
        query = text(
            "SELECT count(*) FROM pg_locks WHERE relation = 'versions'::regclass AND NOT granted"
        )
        with engine.connect() as watcher:

            def waits() -> bool:
                found = bool(watcher.execute(query).scalar_one())
                watcher.rollback()
                return found

            yield waits
        holder.rollback()


@contextmanager
def _sqlite_held(database: Path) -> Iterator[Callable[[], bool]]:
    holder = sqlite3.connect(database, timeout=60, isolation_level=None)
    try:

        def held() -> bool:
            if not holder.execute("SELECT count(*) FROM papers").fetchone()[0]:
                return False
            holder.execute("BEGIN IMMEDIATE")  # waits for the batch in flight to commit
            return True

        yield held
    finally:
        holder.close()  # the write lock goes with it


def test_backups_taken_while_another_process_imports_are_consistent_and_restore(
    settings: Settings, engine: Engine, tmp_path: Path, pg_cluster: Cluster, migrated_sqlite: Path
) -> None:
    snapshot = tmp_path / SNAPSHOT.name
    snapshot.write_bytes(SNAPSHOT.read_bytes())
    cmd = [sys.executable, "-m", "paperfeed", "ingest", "snapshot", str(snapshot), "--json"]
    files: list[Path] = []
    with _held(engine) as waiting:
        proc = subprocess.Popen(
            cmd, env=_env(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        while proc.poll() is None and not waiting():
            time.sleep(0.01)
        files.append(tmp_path / "backups" / "held")
        backup(engine, files[-1])  # PostgreSQL: while a batch is written but not committed
    while proc.poll() is None and len(files) < MOST:
        files.append(tmp_path / "backups" / str(len(files)))
        backup(engine, files[-1])
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    report = json.loads(out.strip().splitlines()[-1])
    final, order = _state(engine), _file_order()
    assert len(final["papers"]) == report["inserted"] > 150 and not final["checkpoints"]

    sizes = []
    for n, file in enumerate(files):
        target = open_store(_empty_sqlite(tmp_path / f"restored{n}", migrated_sqlite))
        restore(target, file)
        state = _state(target)
        _consistent(state, final, order)
        sizes.append(len(state["papers"]))
        target.dispose()
    assert len(files) > 1 and sizes == sorted(sizes), sizes

    # One taken part-way restores into PostgreSQL too, and the import rerun there completes it.
    part = next(
        (f for f, n in zip(files, sizes, strict=True) if 0 < n < len(final["papers"])), files[0]
    )
    again = Settings(
        data_dir=tmp_path / "again", database_url=_second_pg(pg_cluster), _env_file=None
    )
    target = open_store(again)
    restore(target, part)
    _consistent(_state(target), final, order)
    fast = again.model_copy(update={"embed_model": "static", "batch_size": BATCH})
    ingest_files(target, fast, "snapshot", [snapshot])
    assert _state(target) == final
    with target.connect() as conn:
        assert conn.execute(select(func.count()).select_from(checkpoints)).scalar_one() == 0
    target.dispose()


def _empty_sqlite(folder: Path, migrated: Path) -> Settings:
    """A new, empty SQLite store (a copy of one migrated once for the session)."""
    folder.mkdir(mode=0o700)
    shutil.copyfile(migrated, folder / "paperfeed.db")
    (folder / "paperfeed.db").chmod(0o600)
    return Settings(data_dir=folder, _env_file=None)
