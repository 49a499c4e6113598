"""Is the store ready to serve: reachable, and migrated to the revision this code ships."""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from paperfeed.store.accounts import site_state
from paperfeed.store.db import newer_store_problem, shipped_heads

UNREACHABLE = "the store cannot be reached"


def migration_heads() -> set[str]:
    """The newest migration revision(s) this code ships."""
    return shipped_heads()


def store_revisions(engine: Engine) -> set[str]:
    """The migration revision(s) the store is at (empty: no schema yet)."""
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def failure_kind(exc: BaseException) -> str:
    """A failure in one line: the driver's exception type and the first line of its message."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0]}" if lines else type(cause).__name__


# What drivers say when the database cannot be reached (not that it is busy, nor that a
# statement is wrong): PostgreSQL's server or network, and SQLite's file gone from under it.
_UNREACHABLE = (
    "connection refused", "could not connect", "connection failed", "server closed the connection",
    "connection is bad", "terminating connection", "no route to host", "timeout expired",
    "the database system is starting up", "the database system is shutting down",
    "unable to open database file",
)  # fmt: skip


def unreachable(exc: BaseException) -> bool:
    """Whether a failure says the store cannot be reached (down, restarting, the network), not
    that it is busy or that a statement is wrong: a page answers 503 for it, and a loop
    retrying at its next turn says it once per outage, not with a traceback at every turn."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    text = str(getattr(exc, "orig", None) or exc).lower()
    return any(words in text for words in _UNREACHABLE)


class Outage:
    """Logs a failure to reach the store once per kind while it lasts (not at every retry),
    and once when the store answers again."""

    def __init__(self, log: logging.Logger, what: str) -> None:
        self.log, self.what, self.kind = log, what, ""
        self._lock = threading.Lock()

    def failed(self, exc: BaseException) -> None:
        """Say what failed, unless the same failure was said last."""
        kind = failure_kind(exc)
        with self._lock:
            said, self.kind = self.kind == kind, kind
        if not said:
            self.log.warning("%s: store unreachable (%s), retrying", self.what, kind)

    def noted(self, exc: BaseException) -> bool:
        """Say `exc` as `failed` does when it says the store cannot be reached (True); False
        for any other failure, which its caller logs in full."""
        if unreachable(exc):
            self.failed(exc)
            return True
        return False

    def answered(self) -> None:
        """The store answered: say so once if it had failed."""
        with self._lock:
            was, self.kind = self.kind, ""
        if was:
            self.log.warning("%s: the store is reachable again", self.what)


def store_problems(engine: Engine, outage: Outage | None = None) -> list[str]:
    """What keeps the store from serving, in plain words (empty when all is well).

    With an `outage`, an unreachable store is answered in short (the driver's detail, with
    internal host names, goes to the log through it); without one, the detail is included.
    """
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current = store_revisions(engine)
    except Exception as exc:  # noqa: BLE001 - any failure to reach the store is the answer
        if outage is None:
            return [f"{UNREACHABLE} ({failure_kind(exc)})"]
        outage.failed(exc)
        return [UNREACHABLE]
    if outage is not None:
        outage.answered()
    head = migration_heads()
    if current != head:
        with engine.connect() as conn:
            if newer := newer_store_problem(conn):
                return [newer]
        if not current:  # a new, empty database: there is nothing to back up or migrate
            return ["the store has no tables yet: run `paperfeed init` to create them"]
        have = ", ".join(sorted(current))
        return [
            f"the store's schema is at {have} but this version needs {', '.join(sorted(head))}: "
            "run `paperfeed migrate` (after `paperfeed backup`) to migrate it"
        ]
    return []


def newest_change(engine: Engine) -> datetime | None:
    """When a paper last changed in the store (what search indexes must have caught up to)."""
    from paperfeed.store.tables import papers

    with engine.connect() as conn:
        value = conn.execute(select(func.max(papers.c.changed_at))).scalar()
    return value if isinstance(value, datetime) else None


SIGNING_KEY = "signing_key"  # site_state: the mark of the key the newest started node signs with


def signing_key_mark(conn: Connection) -> int | None:
    """The mark of the secret key the most recently started node signs with (None: none yet)."""
    query = select(site_state.c.value).where(site_state.c.key == SIGNING_KEY)
    found = conn.execute(query).scalar()
    return None if found is None else int(found)


def mark_signing_key(conn: Connection, mark: int) -> int | None:
    """Record that a node starting now signs with the key of `mark`; returns the mark before."""
    before = signing_key_mark(conn)
    query = update(site_state).where(site_state.c.key == SIGNING_KEY).values(value=mark)
    if not conn.execute(query).rowcount:
        try:
            with conn.begin_nested():
                conn.execute(insert(site_state).values(key=SIGNING_KEY, value=mark))
        except IntegrityError:  # another node starting at the same moment: the newest wins
            conn.execute(query)
    return before
