"""The site's state: this store's identity and the community-data revision counter."""

from __future__ import annotations

import secrets

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from paperfeed.store.accounts.tables import site_state

STORE_ID = "store_id"  # site_state's key for this store's identity (a random number)


def store_identity(conn: Connection) -> int:
    """This store's identity: a random number made once, so that a search index kept in a
    data folder can tell the store it was built from (a new database URL, a restored backup)
    from another."""
    query = select(site_state.c.value).where(site_state.c.key == STORE_ID)
    found = conn.execute(query).scalar()
    if found is None:
        conn.execute(_new_identity(conn))
        found = conn.execute(query).scalar_one()
    return int(found)


def saved_store_identity(conn: Connection) -> int | None:
    """This store's identity if it was ever made, without making one (for read-only checks)."""
    query = select(site_state.c.value).where(site_state.c.key == STORE_ID)
    found = conn.execute(query).scalar()
    return None if found is None else int(found)


def renew_store_identity(conn: Connection) -> None:
    """Give the store a new identity, if it has one (after a restore: indexes kept from before
    are not its own); a store without one gets one, new, when first asked."""
    value = secrets.randbelow(2**31 - 2) + 1
    conn.execute(update(site_state).where(site_state.c.key == STORE_ID).values(value=value))


def _new_identity(conn: Connection) -> Insert:
    make = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    value = secrets.randbelow(2**31 - 2) + 1
    return make(site_state).values(key=STORE_ID, value=value).on_conflict_do_nothing()


def bump_revision(conn: Connection) -> None:
    """Mark the site's community data as changed (cached pages become stale)."""
    query = update(site_state).where(site_state.c.key == "revision")
    conn.execute(query.values(value=site_state.c.value + 1))


def lock_revision(conn: Connection) -> None:
    """Take the lock `bump_revision` takes (SQLite's write lock, PostgreSQL's row lock) without
    marking anything changed: cached pages stay fresh."""
    query = update(site_state).where(site_state.c.key == "revision")
    conn.execute(query.values(value=site_state.c.value))


def site_revision(conn: Connection) -> int:
    """The community-data revision counter (personal models are cached per revision)."""
    query = select(site_state.c.value).where(site_state.c.key == "revision")
    return int(conn.execute(query).scalar_one())
