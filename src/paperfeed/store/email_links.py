"""Email confirmation links: an address becomes an account's only when someone follows the
single-use, expiring link mailed to it, for a signed-in reader changing their address and for a
sign-up that must confirm one (the account is made only then).

Migration 0030 creates the table. Only a SHA-256 digest of each link's token is kept.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    delete,
    select,
)

from paperfeed.store.accounts import users
from paperfeed.store.tables import metadata
from paperfeed.util import utcnow

email_links = Table(
    "email_links",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    # The account whose address changes; None for a sign-up waiting for its address
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE")),
    Column("email", String(254), nullable=False),  # lower-case
    Column("username", String(32)),  # a sign-up's name and password hash
    Column("password_hash", String(255)),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Index("ix_email_links_user_id", "user_id"),
)


@dataclass(frozen=True)
class EmailLink:
    """A working link: the address it confirms, and for whom."""

    email: str
    user_id: int | None
    username: str  # the account's name (a sign-up's chosen one)
    password_hash: str | None  # a sign-up's; None for an address change


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _insert(conn: Connection, lasts: timedelta, **row: object) -> str:
    token, at = secrets.token_urlsafe(24), utcnow()
    values = {"token_hash": _hash(token), "created_at": at, "expires_at": at + lasts, **row}
    conn.execute(email_links.insert().values(**values))
    return token


def create_change_link(conn: Connection, user_id: int, email: str, lasts: timedelta) -> str:
    """A link that makes `email` the account's address; its earlier such links stop working."""
    conn.execute(delete(email_links).where(email_links.c.user_id == user_id))
    return _insert(conn, lasts, user_id=user_id, email=email.lower())


def create_signup_link(
    conn: Connection, username: str, email: str, password_hash: str, lasts: timedelta
) -> str:
    """A link that makes the account `username` with this address and password hash."""
    return _insert(conn, lasts, username=username, email=email.lower(), password_hash=password_hash)


def find_link(conn: Connection, token: str, now: datetime | None = None) -> EmailLink | None:
    """The link, if it still works (not used, not expired, its account live)."""
    query = (
        select(email_links, users.c.username.label("owner"))
        .outerjoin(users, users.c.id == email_links.c.user_id)
        .where(
            email_links.c.token_hash == _hash(token), email_links.c.expires_at > (now or utcnow())
        )
    )
    row = conn.execute(query).first()
    if row is None:
        return None
    if row.user_id is None:
        return EmailLink(row.email, None, row.username, row.password_hash)
    return EmailLink(row.email, int(row.user_id), str(row.owner), None)


def spend_link(conn: Connection, token: str) -> bool:
    """Use the link up (False: another request spent it first)."""
    done = conn.execute(delete(email_links).where(email_links.c.token_hash == _hash(token)))
    return done.rowcount == 1


def pending_email(conn: Connection, user_id: int, now: datetime | None = None) -> str | None:
    """The address the account's working change link would set, if any."""
    query = select(email_links.c.email).where(
        email_links.c.user_id == user_id, email_links.c.expires_at > (now or utcnow())
    )
    return conn.execute(query).scalar()


def drop_links(conn: Connection, user_id: int) -> None:
    """Stop the account's change links."""
    conn.execute(delete(email_links).where(email_links.c.user_id == user_id))


def name_taken(conn: Connection, username: str) -> bool:
    """Whether an account (a deleted one too: its handle stays reserved) has this name."""
    query = select(users.c.id).where(users.c.name_key == username.lower())
    return conn.execute(query).first() is not None


def account_email(conn: Connection, user_id: int) -> str | None:
    """The account's confirmed address, if it has one."""
    return conn.execute(select(users.c.email).where(users.c.id == user_id)).scalar()
