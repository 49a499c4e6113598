"""Failed sign-ins, counted in the store so that every worker and node sees the same ones.

Migration 0017 creates the table. An attempt is written as one row per limit key (address and
account, account, address) before its password is checked, and taken back when the password was
right or the attempt was refused; rows older than the limits' window go as new ones come, so the
table holds at most one window of failures. Keys are kept as SHA-256 digests, of one size
whatever a client types as a user name. Times are each node's clock (naive UTC): nodes whose
clocks differ by seconds move a 10-minute window by as much.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    delete,
    func,
    insert,
    or_,
    select,
)

from paperfeed.store.tables import metadata

sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False),  # sha256 hex of the limit's key
    Column("at", DateTime, nullable=False),
    Index("ix_sign_in_failures_key_at", "key", "at"),  # the count
    Index("ix_sign_in_failures_at", "at"),  # the pruning
)


@dataclass(frozen=True)
class Tally:
    """A key's failures within the window, and when the oldest of them was."""

    count: int
    oldest: datetime


def key_digest(key: str) -> str:
    """A limit key as stored: its SHA-256 hex digest."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def record_attempt(
    conn: Connection, keys: Sequence[str], now: datetime, cutoff: datetime
) -> list[int]:
    """Forget failures at or before `cutoff`, and count an attempt under each key; its row ids."""
    conn.execute(delete(sign_in_failures).where(sign_in_failures.c.at <= cutoff))
    rows = [{"key": key_digest(key), "at": now} for key in keys]
    query = insert(sign_in_failures).returning(sign_in_failures.c.id)
    return [int(i) for i in conn.scalars(query, rows)]


def tally(conn: Connection, keys: Iterable[str], cutoff: datetime) -> dict[str, Tally]:
    """Each key's failures after `cutoff` (keys without any are left out)."""
    digests = {key_digest(key): key for key in keys}
    t = sign_in_failures
    query = (
        select(t.c.key, func.count(), func.min(t.c.at))
        .where(t.c.key.in_(digests), t.c.at > cutoff)
        .group_by(t.c.key)
    )
    return {digests[k]: Tally(int(n), oldest) for k, n, oldest in conn.execute(query)}


def take_back(conn: Connection, ids: Sequence[int], clear: str | None = None) -> None:
    """Remove an attempt's rows, and with `clear` every failure counted under that key."""
    t = sign_in_failures
    match: ColumnElement[bool] = t.c.id.in_(ids)
    if clear is not None:
        match = or_(match, t.c.key == key_digest(clear))
    conn.execute(delete(t).where(match))
