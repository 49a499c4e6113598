"""Backups, restores and moves between databases: every table paperfeed declares, in FK order.

A SQLite store is backed up with SQLite's online backup API (safe while the site runs); a
PostgreSQL store as a logical dump (gzip'd JSON lines, one snapshot). Both restore into an empty
store of either kind, by the same batched copy that `migrate-store` uses, and counts are checked.
"""

from __future__ import annotations

import base64
import gzip
import importlib
import json
import os
import pkgutil
import shutil
import sqlite3
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from alembic.migration import MigrationContext
from sqlalchemy import (
    Connection,
    Date,
    DateTime,
    Engine,
    LargeBinary,
    MetaData,
    Table,
    create_engine,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import DatabaseError, DataError, IntegrityError
from sqlalchemy.pool import StaticPool

import paperfeed.store
from paperfeed.settings import Settings
from paperfeed.store.accounts import renew_store_identity
from paperfeed.store.db import connect, known_revisions, migrate
from paperfeed.store.health import migration_heads, store_revisions
from paperfeed.store.tables import metadata

BATCH = 2000
FORMAT = "paperfeed-dump"
SQLITE_MAGIC = b"SQLite format 3\x00"
Progress = Callable[[str, int], None]
Finish = Callable[[Connection], None]  # run in the copy's transaction, just before it commits


class BackupError(RuntimeError):
    """A backup or restore cannot go ahead; the message says why and what to do."""


def all_tables() -> list[Table]:
    """Every declared table, parents before children (each store module declares its own)."""
    for module in pkgutil.iter_modules(paperfeed.store.__path__):
        if module.name != "migrations":
            importlib.import_module(f"paperfeed.store.{module.name}")
    return list(metadata.sorted_tables)


def _fk_order(engine: Engine, tables: list[Table]) -> list[Table]:
    # The database's own foreign keys decide the order (a migration may declare more than a Table).
    reflected = MetaData()
    reflected.reflect(engine, only=[t.name for t in tables])
    by_name = {t.name: t for t in tables}
    return [by_name[t.name] for t in reflected.sorted_tables if t.name in by_name]


def count_rows(conn: Connection, tables: Iterable[Table]) -> dict[str, int]:
    """Rows per table."""
    return {
        t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one()) for t in tables
    }


def _seeded() -> set[str]:
    # Tables a fresh migration already fills (a counter row, say) count as empty.
    engine = create_engine("sqlite://", poolclass=StaticPool)
    migrate(engine)
    with engine.connect() as conn:
        seeded = {name for name, n in count_rows(conn, all_tables()).items() if n}
    engine.dispose()
    return seeded


def check_empty(target: Engine) -> set[str]:
    """Refuse a target holding data; returns the seeded tables to clear before copying."""
    seeded = _seeded()
    with target.connect() as conn:
        full = [n for n, rows in count_rows(conn, all_tables()).items() if rows and n not in seeded]
    if full:
        raise BackupError(
            f"the target store is not empty ({', '.join(sorted(full)[:5])} hold rows); "
            "restore and migrate-store only fill an empty store"
        )
    return seeded


def _snapshot(conn: Connection) -> None:
    # One consistent view of every table for the whole copy.
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
    else:
        conn.execute(text("SELECT 1"))  # SQLite: the read transaction (WAL snapshot) starts here


def read_rows(conn: Connection, table: Table) -> Iterator[list[dict[str, Any]]]:
    """A table's rows in batches, in primary-key order."""
    query = select(table).order_by(*table.primary_key.columns)
    result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(query)
    for part in result.mappings().partitions(BATCH):
        yield [dict(row) for row in part]


def write_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert one batch."""
    if rows:
        conn.execute(table.insert(), rows)


def _reset_sequences(conn: Connection, tables: list[Table]) -> None:
    # Explicit ids do not move PostgreSQL's sequences: the next insert would collide.
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        for col in table.primary_key.columns:
            if col.autoincrement is True or (col.autoincrement == "auto" and _serial(table, col)):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{col.name}'), "
                        f"COALESCE((SELECT MAX({col.name}) FROM {table.name}), 0) + 1, false)"
                    )
                )


def _serial(table: Table, col: Any) -> bool:
    return len(table.primary_key.columns) == 1 and col.type.python_type is int


def copy_store(source: Engine, target: Engine, progress: Progress | None = None) -> dict[str, int]:
    """Copy every table from `source` into an empty `target`; returns rows copied per table."""
    if source.dialect.name == "sqlite" and source.url.database not in (None, "", ":memory:"):
        # pysqlite reads outside a transaction: copy from an online-backup snapshot instead,
        # so a site still writing cannot make the copy inconsistent.
        folder = Path(str(source.url.database)).parent
        with tempfile.TemporaryDirectory(dir=folder, prefix=".migrate-") as scratch:
            snapshot = Path(scratch) / "snapshot.db"
            _sqlite_backup(source, snapshot)
            frozen = create_engine(f"sqlite:///{snapshot}")
            try:
                return _copy(frozen, target, progress)
            finally:
                frozen.dispose()
    return _copy(source, target, progress)


def _copy(
    source: Engine, target: Engine, progress: Progress | None, finish: Finish | None = None
) -> dict[str, int]:
    seeded = check_empty(target)
    tables = _fk_order(target, all_tables())
    copied: dict[str, int] = {}
    with source.connect() as src, target.begin() as dst:
        _snapshot(src)
        for name in seeded:
            dst.execute(metadata.tables[name].delete())
        for table in tables:
            copied[table.name] = 0
            for rows in read_rows(src, table):
                write_rows(dst, table, rows)
                copied[table.name] += len(rows)
                if progress:
                    progress(table.name, copied[table.name])
        _reset_sequences(dst, tables)
        if finish:
            finish(dst)
    return copied


def verify(target: Engine, copied: dict[str, int]) -> list[str]:
    """Tables whose row count in the target differs from what was copied."""
    with target.connect() as conn:
        found = count_rows(conn, [metadata.tables[name] for name in copied])
    return [f"{n}: copied {copied[n]}, found {found[n]}" for n in copied if found[n] != copied[n]]


# --- backup files --------------------------------------------------------------------------


def open_as_is(settings: Settings) -> Engine:
    """The store, not migrated (a new one gets its tables): a backup taken before an upgrade,
    as `doctor` advises, is of the store the old version left, the one to go back to."""
    engine = connect(settings)
    if not store_revisions(engine):
        migrate(engine)
    return engine


def _store_tables(conn: Connection) -> tuple[list[str], list[Table]]:
    """The store's revision(s) and its tables in FK order: this version's declared tables at
    its head, else the store's own as they are (an older or newer schema)."""
    revision = sorted(MigrationContext.configure(conn).get_current_heads())
    if set(revision) == migration_heads():
        return revision, _fk_order(conn.engine, all_tables())
    found = MetaData()
    found.reflect(conn)
    return revision, [t for t in found.sorted_tables if t.name != "alembic_version"]


def backup(engine: Engine, path: Path) -> dict[str, int]:
    """Write a backup of the store to `path`; returns rows per table."""
    if path.exists():
        raise BackupError(f"{path} exists; choose a new file name")
    try:  # a nightly backup into a folder not made yet: make it
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=False)
        path.unlink()
    except OSError as exc:
        raise BackupError(f"cannot write {path}: {exc.strerror or exc}") from exc
    # Written under a temporary name, readable by its owner only (it holds password hashes,
    # addresses and tokens), and renamed when complete: a backup killed half-way leaves no
    # file that looks whole under the name asked for.
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        counts = (_sqlite_backup if engine.dialect.name == "sqlite" else _dump)(engine, partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return counts


def _sqlite_backup(engine: Engine, path: Path) -> dict[str, int]:
    raw = engine.raw_connection()
    try:
        dest = sqlite3.connect(str(path))
        try:
            raw.driver_connection.backup(dest)  # type: ignore[union-attr]
        finally:
            dest.close()
    finally:
        raw.close()
    copy = create_engine(f"sqlite:///{path}")
    with copy.connect() as conn:
        counts = count_rows(conn, _store_tables(conn)[1])
    copy.dispose()
    return counts


def _encode(value: Any) -> Any:
    if isinstance(value, bytes | memoryview):
        return {"b64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _decode(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in row.items():
        kind = table.c[name].type
        if value is None:
            out[name] = None
        elif isinstance(kind, LargeBinary):
            out[name] = base64.b64decode(value["b64"])
        elif isinstance(kind, DateTime):
            out[name] = datetime.fromisoformat(value)
        elif isinstance(kind, Date):
            out[name] = date.fromisoformat(value)
        else:
            out[name] = value
    return out


def _dump(engine: Engine, path: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    with engine.connect() as conn, gzip.open(path, "wt", encoding="utf-8") as out:
        _snapshot(conn)
        revision, tables = _store_tables(conn)
        out.write(json.dumps({"format": FORMAT, "version": 1, "revision": revision}) + "\n")
        for table in tables:
            counts[table.name] = 0
            for rows in read_rows(conn, table):
                for row in rows:
                    record = {k: _encode(v) for k, v in row.items()}
                    out.write(json.dumps({"t": table.name, "r": record}) + "\n")
                counts[table.name] += len(rows)
        out.write(json.dumps({"end": counts}) + "\n")
    return counts


def restore(target: Engine, path: Path, progress: Progress | None = None) -> dict[str, int]:
    """Fill an empty store from a backup file of either kind; returns rows per table."""
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    with path.open("rb") as handle:
        head = handle.read(16)
    # The copy's transaction also gives the store a new identity: a kill cannot part the two.
    if head == SQLITE_MAGIC:
        return _restore_sqlite(target, path, progress)
    return _restore_dump(target, path, progress)


def _restore_sqlite(target: Engine, path: Path, progress: Progress | None) -> dict[str, int]:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder) / "restore.db"
        shutil.copyfile(path, work)  # an older backup is migrated on a copy, never in place
        source = create_engine(f"sqlite:///{work}")
        try:
            try:
                _check_sqlite_backup(source, path)
                migrate(source)
            except DatabaseError as exc:  # e.g. a copy cut short ("disk image is malformed")
                raise _unreadable(path, exc) from exc
            try:  # search indexes kept from before are not of the restored store
                return _copy(source, target, progress, renew_store_identity)
            except (IntegrityError, DataError) as exc:  # rows the store's constraints refuse
                raise _unreadable(path, exc) from exc
        finally:
            source.dispose()


def _check_sqlite_backup(source: Engine, path: Path) -> None:
    # Before the store is touched: a file damaged inside, another program's database or one a
    # newer version made is refused (migrating either would have "restored" nothing).
    with source.connect() as conn:
        damage = conn.execute(text("PRAGMA quick_check(1)")).scalar()
        if damage != "ok":
            raise BackupError(f"{path} cannot be read as a paperfeed backup (damaged: {damage})")
        names = set(inspect(conn).get_table_names())
        if not {"alembic_version", "papers"} <= names:
            raise BackupError(
                f"{path} is not a paperfeed backup (a SQLite database without paperfeed's tables)"
            )
        revision = list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    _refuse_newer(path, revision)


def _refuse_newer(path: Path, revision: list[str]) -> None:
    if not set(revision) <= known_revisions():
        raise BackupError(
            f"{path} was made by a newer paperfeed (schema {sorted(revision)}); restore it "
            f"with that version (this one is at {sorted(migration_heads())})"
        )


def _unreadable(path: Path, exc: Exception) -> BackupError:
    reason = str(getattr(exc, "orig", None) or exc) or "it holds nothing"
    return BackupError(f"{path} cannot be read as a paperfeed backup ({reason})")


def _restore_dump(target: Engine, path: Path, progress: Progress | None) -> dict[str, int]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            header = json.loads(next(lines))
            if not isinstance(header, dict) or header.get("format") != FORMAT:
                raise BackupError(f"{path} is not a paperfeed backup")
            revision = sorted(header["revision"])
            if revision == sorted(migration_heads()):
                return _load_dump(target, lines, progress, finish=renew_store_identity)
            _refuse_newer(path, revision)
            return _restore_older_dump(target, lines, revision, progress)
    except (OSError, EOFError, zlib.error, StopIteration, KeyError, ValueError, TypeError) as exc:
        # EOFError: a gzip file cut short; ValueError, TypeError: a line that is no record
        raise _unreadable(path, exc) from exc
    except (IntegrityError, DataError) as exc:  # a row the store's constraints refuse
        raise _unreadable(path, exc) from exc


def _restore_older_dump(
    target: Engine, lines: Iterator[str], revision: list[str], progress: Progress | None
) -> dict[str, int]:
    """A dump an earlier version made: loaded into a scratch store at its schema, migrated
    there (data migrations included), then copied, as an older SQLite backup is."""
    with tempfile.TemporaryDirectory() as folder:
        source = create_engine(f"sqlite:///{Path(folder) / 'restore.db'}")
        try:
            for to in revision:
                migrate(source, to)
            old = MetaData()
            old.reflect(source)
            tables = {t.name: t for t in old.sorted_tables if t.name != "alembic_version"}
            _load_dump(source, lines, None, tables)
            migrate(source)
            return _copy(source, target, progress, renew_store_identity)
        finally:
            source.dispose()


def _load_dump(
    target: Engine,
    lines: Iterator[str],
    progress: Progress | None,
    schema: dict[str, Table] | None = None,
    finish: Finish | None = None,
) -> dict[str, int]:
    """Load a dump's rows into `target`: an empty store at this version's schema, or a scratch
    one at the dump's own (`schema`: its tables, whose seeded rows make way)."""
    seeded = check_empty(target) if schema is None else set(schema)
    tables = schema or {t.name: t for t in all_tables()}
    copied = dict.fromkeys(tables, 0)
    batch: list[dict[str, Any]] = []
    current = ""
    with target.begin() as dst:
        for name in seeded:
            dst.execute(tables[name].delete())
        for line in lines:
            record = json.loads(line)
            if not isinstance(record, dict) or not isinstance(record.get("r", {}), dict):
                raise BackupError("the backup is damaged: a line in it is no table row")
            if "end" in record:
                if record["end"] != {k: v for k, v in copied.items() if k in record["end"]}:
                    raise BackupError("the backup is incomplete: counts do not match its footer")
                break
            if record["t"] != current or len(batch) >= BATCH:
                if batch:
                    write_rows(dst, tables[current], batch)
                batch, current = [], record["t"]
            batch.append(_decode(tables[current], record["r"]))
            copied[current] += 1
            if progress and copied[current] % BATCH == 0:
                progress(current, copied[current])
        else:
            raise BackupError("the backup is truncated: its footer is missing")
        if batch:
            write_rows(dst, tables[current], batch)
        _reset_sequences(dst, list(tables.values()))
        if finish:
            finish(dst)
    return copied


def unknown_tables(engine: Engine) -> list[str]:
    """Tables in the database that no paperfeed module declares (they are not copied)."""
    names = set(inspect(engine).get_table_names()) - {"alembic_version"}
    return sorted(names - {t.name for t in all_tables()})
