"""When a scheduler last checked the schedule, and which process it was."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from paperfeed.store.accounts import site_state

SCHEDULE_CHECKED = "jobs_checked_at"  # site_state: when a scheduler last checked (epoch s)
SCHEDULE_PID = "jobs_checked_pid"  # site_state: the process id of that scheduler


def note_schedule_check(conn: Connection, at: datetime, pid: int) -> None:
    """Record that a scheduler (process `pid`) checked the schedule at `at` (aware)."""
    for key, value in ((SCHEDULE_CHECKED, int(at.timestamp())), (SCHEDULE_PID, pid)):
        query = update(site_state).where(site_state.c.key == key).values(value=value)
        if not conn.execute(query).rowcount:
            try:
                with conn.begin_nested():
                    conn.execute(insert(site_state).values(key=key, value=value))
            except IntegrityError:  # another scheduler wrote it first: ours is as new
                pass


def last_schedule_check(conn: Connection) -> tuple[datetime, int] | None:
    """When a scheduler last checked the schedule (aware UTC) and its process id; None: never."""
    query = select(site_state.c.key, site_state.c.value).where(
        site_state.c.key.in_([SCHEDULE_CHECKED, SCHEDULE_PID])
    )
    found = {str(key): int(value) for key, value in conn.execute(query)}
    if SCHEDULE_CHECKED not in found:
        return None
    return datetime.fromtimestamp(found[SCHEDULE_CHECKED], UTC), int(found.get(SCHEDULE_PID, 0))
