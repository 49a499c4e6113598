"""Opening the database and bringing its schema up to date."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect

from paperfeed.settings import Settings
from paperfeed.store.bulk import restore_indexes

_MIGRATIONS = Path(__file__).parent / "migrations"


def connect(settings: Settings) -> Engine:
    """Create an engine for the configured database (SQLite in WAL mode by default)."""
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=60000")
    cur.close()


def migrate(engine: Engine) -> None:
    """Apply every pending Alembic migration."""
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def open_store(settings: Settings) -> Engine:
    """Connect and migrate: the one way the rest of paperfeed gets a database."""
    engine = connect(settings)
    migrate(engine)
    restore_indexes(engine)  # a bulk load killed part-way leaves them missing
    return engine


def is_initialised(engine: Engine) -> bool:
    """True when the schema exists."""
    return inspect(engine).has_table("papers")
