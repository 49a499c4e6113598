"""Is the store ready to serve: reachable, and migrated to the revision this code ships."""

from __future__ import annotations

from datetime import datetime

from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, select, text

from paperfeed.store.db import _MIGRATIONS


def migration_heads() -> set[str]:
    """The newest migration revision(s) this code ships."""
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return set(ScriptDirectory.from_config(config).get_heads())


def store_problems(engine: Engine) -> list[str]:
    """What keeps the store from serving, in plain words (empty when all is well)."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(conn).get_current_heads())
    except Exception as exc:  # noqa: BLE001 - any failure to reach the store is the answer
        return [f"the store cannot be reached ({type(exc).__name__}: {exc})"]
    head = migration_heads()
    if current != head:
        have = ", ".join(sorted(current)) or "no schema"
        return [
            f"the store's schema is at {have} but this version needs {', '.join(sorted(head))}: "
            "run `paperfeed init` (or restart the site) to migrate it"
        ]
    return []


def newest_change(engine: Engine) -> datetime | None:
    """When a paper last changed in the store (what search indexes must have caught up to)."""
    from paperfeed.store.tables import papers

    with engine.connect() as conn:
        value = conn.execute(select(func.max(papers.c.changed_at))).scalar()
    return value if isinstance(value, datetime) else None
