"""Opening the database and bringing its schema up to date."""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from functools import cache, partial
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text

from paperfeed.settings import Settings
from paperfeed.store.bulk import restore_indexes_if_room
from paperfeed.store.jobs import advisory_key
from paperfeed.util import uninterrupted

log = logging.getLogger(__name__)
_MIGRATIONS = Path(__file__).parent / "migrations"
Applied = Callable[[str, str, float], None]  # revision, its title, seconds it took
WAITING = (
    "another paperfeed process is upgrading the store (applying its migrations): waiting for "
    "it to finish"
)


class DataDirError(OSError):
    """The data folder cannot be made or used."""

    def __str__(self) -> str:
        return str(self.args[0])


class NewerStoreError(RuntimeError):
    """The store was migrated by a newer paperfeed than this one."""


def connect(settings: Settings) -> Engine:
    """Create an engine for the configured database (SQLite in WAL mode by default)."""
    url = settings.sqlalchemy_url
    # Enough connections for every web thread plus background work; a short wait, then an error
    # the site turns into a 503 (issue 9).
    size = settings.db_pool_size or settings.web_threads + 4
    pool = {"pool_size": size, "max_overflow": 4, "pool_timeout": settings.db_pool_timeout}
    if url.startswith("sqlite"):
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:  # named as the setting it comes from, not as an errno
            raise DataDirError(
                f"PAPERFEED_DATA_DIR={settings.data_dir} cannot be the data folder: "
                f"{exc.strerror or exc} (point it at a folder this user may create and write)"
            ) from exc
        database = make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            problem = unwritable(Path(database).parent, settings)
            if problem:
                raise DataDirError(problem)
        _private_file(database)
        busy = settings.sqlite_busy_seconds
        engine = create_engine(url, connect_args={"timeout": busy}, **pool)
        event.listen(engine, "connect", partial(_sqlite_pragmas, busy_ms=int(busy * 1000)))
        return engine
    engine = create_engine(url, pool_pre_ping=True, **pool)
    _ping_whole(engine)
    return engine


def _ping_whole(engine: Engine) -> None:
    """Run the pool's check that a PostgreSQL connection is alive (on every checkout) whole: a
    stop signal (Ctrl-C, SIGTERM) that landed in it cut its statement, its clean-up then failed
    ("can't change 'autocommit' now: connection in transaction status ACTIVE") and the command
    ended with that database error (exit 1) instead of its stop line; the stop now takes
    effect as the check ends (`util.uninterrupted`)."""
    ping = engine.dialect.do_ping

    def whole(dbapi_connection: Any) -> bool:
        with uninterrupted():
            return bool(ping(dbapi_connection))

    engine.dialect.do_ping = whole  # type: ignore[method-assign]


def unwritable(folder: Path, settings: Settings) -> str | None:
    """Why paperfeed cannot write in this folder (read-only, not this user's), or None.

    A full disk is not such a problem: reads go on, and writes get a clear error of their own.
    """
    try:
        with tempfile.TemporaryFile(dir=folder):
            return None
    except OSError as exc:
        if exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
            return None
        reason, read_only = exc.strerror or str(exc), exc.errno == errno.EROFS
    name = "PAPERFEED_DATA_DIR" if folder == settings.data_dir else "the folder of the store"
    if read_only:
        fix = "remount it read-write, or point PAPERFEED_DATA_DIR at a writable folder"
    else:
        fix = "make it writable by the user paperfeed runs as"
    return (
        f"{name} {folder} cannot be written ({reason}): paperfeed keeps its store, search "
        f"index and keys there; {fix}"
    )


NEARLY_FULL = 1 << 20  # SQLite's working files (-wal, -shm: 32 KB and more) need this much


def full_disk(settings: Settings) -> str | None:
    """That the disk of a SQLite store's folder is (nearly) full, for a store that cannot be
    opened; None when it has room or the store is no SQLite file."""
    folder = _sqlite_folder(settings)
    if folder is None or not folder.is_dir():
        return None
    free = shutil.disk_usage(folder).free
    if free >= NEARLY_FULL:
        return None
    name = "PAPERFEED_DATA_DIR" if folder == settings.data_dir else "the folder of the store"
    return (
        f"the disk of {name} {folder} is full ({free // 1024} KB free), so the store cannot "
        "be opened (SQLite makes its -wal and -shm files beside it): free some space there "
        "(old backups, logs), then run it again"
    )


def _sqlite_folder(settings: Settings) -> Path | None:
    url = make_url(settings.sqlalchemy_url)
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return None if database.startswith("file:") else Path(database).parent


def in_memory(engine: Engine) -> bool:
    """True for an in-memory SQLite database: no other connection or process can see it."""
    url = engine.url
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _private_file(database: str | None) -> None:
    """Create the SQLite file readable by this user alone (0600), in a 0700 data directory.

    The store holds password hashes and subscribers' addresses; SQLite gives its -wal and -shm
    files the database file's permissions.
    """
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    with suppress(FileExistsError, FileNotFoundError):
        os.close(os.open(database, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def _sqlite_pragmas(dbapi_conn: object, _record: object, busy_ms: int = 60_000) -> None:
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={busy_ms:d}")  # then "database is locked": a 503
    cur.close()


def migrate(engine: Engine, to: str = "head", applied: Applied | None = None) -> None:
    """Apply every pending Alembic migration (up to revision `to`), each committed on its own,
    so a run killed part-way resumes at the first one not applied; a process that finds another
    migrating the store waits for it. NewerStoreError when a newer version migrated the store
    (this one cannot read or undo that)."""
    config = _config()
    if to == "head" and _up_to_date(engine):
        return
    with upgrade_lock(engine), engine.connect() as conn:
        if problem := newer_store_problem(conn):
            raise NewerStoreError(problem)
        steps = _say_upgrade(conn, to)
        with _sqlite_foreign_keys_off(conn):
            conn.commit()  # env.py: one transaction per migration, not one for them all
            config.attributes["connection"] = conn
            config.attributes["applied"] = (
                _announcing(applied or _log_applied, steps) if steps else applied
            )
            command.upgrade(config, to)


def _say_upgrade(conn: Connection, to: str) -> list[tuple[str, str]]:
    """Say that the store is being upgraded, from which revision to which (`serve` on an old
    store was silent for minutes); the migrations to apply, oldest first, each with its title,
    when said. A new store gets its tables unsaid (and an empty list)."""
    current = tuple(MigrationContext.configure(conn).get_current_heads())
    scripts = list(ScriptDirectory.from_config(_config()).iterate_revisions(to, current))
    if not current or not scripts:
        return []
    log.warning(
        "upgrading the store's schema from %s to %s (%d migrations, each committed as it "
        "ends; minutes for a large store)",
        ", ".join(sorted(current)),
        scripts[0].revision,
        len(scripts),
    )
    return [(s.revision, migration_title(str(s.doc or ""))) for s in reversed(scripts)]


def migration_title(doc: str) -> str:
    """A migration's title: its docstring's first phrase."""
    return re.split(r"[.:(]", doc.strip(), maxsplit=1)[0].strip()


def _announcing(applied: Applied, steps: list[tuple[str, str]]) -> Applied:
    """Say each migration as it begins (the first now), then as it ends: during a slow one
    the operator saw only the line of the one before."""
    pending = iter(steps)

    def begin_next() -> None:
        if (step := next(pending, None)) is not None:
            log.warning("applying %s (%s) ...", *step)

    def ended(revision: str, title: str, seconds: float) -> None:
        applied(revision, title, seconds)
        begin_next()

    begin_next()
    return ended


def _log_applied(revision: str, title: str, seconds: float) -> None:
    log.warning("applied %s (%s) in %.1f s", revision, title, seconds)


@contextmanager
def _sqlite_foreign_keys_off(conn: Connection) -> Iterator[None]:
    """SQLite: foreign keys off while migrating, as SQLite's own advice for schema changes says:
    a table rebuilt in batch mode is dropped, and dropping it deleted, by cascade, every row
    that referred to it (0030 emptied digest_sent_papers)."""
    if conn.dialect.name != "sqlite":
        yield
        return
    conn.commit()
    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # outside a transaction, or it does nothing
    try:
        yield
    except BaseException:
        conn.invalidate()  # the pool opens a new one, with them on
        raise
    conn.commit()
    conn.exec_driver_sql("PRAGMA foreign_keys=ON")
    conn.commit()


def _up_to_date(engine: Engine) -> bool:
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    return current == shipped_heads()


@contextmanager
def upgrade_lock(engine: Engine) -> Iterator[None]:
    """Held while this process migrates the store (released by the system if it dies): two
    processes starting at once (the site and a cron job, two nodes) applied the same migration
    twice and the second failed."""
    if engine.dialect.name == "postgresql":
        with _advisory_upgrade_lock(engine):
            yield
        return
    database = engine.url.database
    if in_memory(engine) or not database or database.startswith("file:"):
        yield  # no other process can see it
        return
    path = Path(database).with_name(f".{Path(database).name}.upgrade-lock")
    with open(os.open(path, os.O_RDWR | os.O_CREAT, 0o600), "r+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning(WAITING)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


@contextmanager
def _advisory_upgrade_lock(engine: Engine) -> Iterator[None]:
    key = {"key": advisory_key("store-upgrade")}
    with engine.connect() as conn:
        if not conn.execute(text("SELECT pg_try_advisory_lock(:key)"), key).scalar_one():
            log.warning(WAITING)
            conn.execute(text("SELECT pg_advisory_lock(:key)"), key)
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), key)
            conn.commit()


@cache
def _shipped() -> tuple[frozenset[str], frozenset[str]]:
    """The migration scripts this code ships (its newest revisions, all its revisions), read
    once a process: reading the scripts took 0.02-0.1 s at every store opened."""
    script = ScriptDirectory.from_config(_config())
    return frozenset(script.get_heads()), frozenset(s.revision for s in script.walk_revisions())


def shipped_heads() -> set[str]:
    """The newest migration revision(s) this code ships."""
    return set(_shipped()[0])


def known_revisions() -> set[str]:
    """Every migration revision this code ships."""
    return set(_shipped()[1])


def newer_store_problem(conn: Connection) -> str | None:
    """What to do when the store is at a revision this code does not ship, else None."""
    newer = sorted(set(MigrationContext.configure(conn).get_current_heads()) - known_revisions())
    if not newer:
        return None
    return (
        f"the store's schema is at {', '.join(newer)}, which this version of paperfeed does not "
        f"know (it ships up to {', '.join(sorted(shipped_heads()))}): a newer version "
        "migrated it. Run that version, or go back by restoring a backup made before the "
        "upgrade into an empty store (`paperfeed restore FILE`)"
    )


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def open_store(settings: Settings, applied: Applied | None = None) -> Engine:
    """Connect and migrate: the one way the rest of paperfeed gets a database."""
    engine = connect(settings)
    migrate(engine, applied=applied)
    restore_indexes_if_room(engine)  # a bulk load killed part-way leaves them missing
    return engine
