"""Named checkpoints that let interrupted jobs resume where they stopped."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, delete, select

from paperfeed.store.tables import checkpoints


def get_checkpoint(conn: Connection, name: str) -> str | None:
    """The stored value of a checkpoint, or None."""
    row = conn.execute(select(checkpoints.c.value).where(checkpoints.c.name == name)).first()
    return row[0] if row else None


def all_checkpoints(conn: Connection) -> dict[str, str]:
    """Every stored checkpoint by name."""
    return {
        name: value for name, value in conn.execute(select(checkpoints.c.name, checkpoints.c.value))
    }


def set_checkpoint(conn: Connection, name: str, value: str) -> None:
    """Store a checkpoint value in the caller's transaction."""
    now = datetime.now(UTC).replace(tzinfo=None)
    conn.execute(delete(checkpoints).where(checkpoints.c.name == name))
    conn.execute(checkpoints.insert().values(name=name, value=value, updated_at=now))


def clear_checkpoint(conn: Connection, name: str) -> None:
    """Forget a checkpoint (the job finished)."""
    conn.execute(delete(checkpoints).where(checkpoints.c.name == name))
