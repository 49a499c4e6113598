"""Set-password links: an emailed, single-use, expiring way into one account, for an account an
admin made without a password (a welcome) and for a reader who forgot theirs (a reset).

Migration 0027 creates the table and the accounts' email column. Only a SHA-256 digest of each
link's token is kept, as for sessions and invites.
"""

from __future__ import annotations

import hashlib
import secrets
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
    update,
)

from paperfeed.store.accounts import users
from paperfeed.store.email_links import drop_links
from paperfeed.store.tables import metadata
from paperfeed.util import utcnow

NO_PASSWORD = "!"  # a password_hash no password matches: the account waits for its link

password_links = Table(
    "password_links",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("purpose", String(16), nullable=False),  # welcome | reset
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Index("ix_password_links_user_id", "user_id"),
)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_link(
    conn: Connection, user_id: int, purpose: str, lasts: timedelta, now: datetime | None = None
) -> str:
    """A new link's token for the account; earlier links of the account stop working."""
    token, at = secrets.token_urlsafe(24), now or utcnow()
    end_links(conn, user_id)
    row = {"token_hash": _hash(token), "user_id": user_id, "purpose": purpose, "created_at": at}
    conn.execute(password_links.insert().values(**row, expires_at=at + lasts))
    return token


def link_owner(conn: Connection, token: str, now: datetime | None = None) -> tuple[int, str] | None:
    """The (user id, user name) a working link is for, or None (unknown, used or expired)."""
    query = (
        select(users.c.id, users.c.username)
        .join(password_links, password_links.c.user_id == users.c.id)
        .where(
            password_links.c.token_hash == _hash(token),
            password_links.c.expires_at > (now or utcnow()),
            users.c.deleted_at.is_(None),
            users.c.suspended_at.is_(None),
        )
    )
    row = conn.execute(query).first()
    return (int(row.id), str(row.username)) if row else None


def end_links(conn: Connection, user_id: int) -> None:
    """Stop every set-password link of the account (its password or its address changed)."""
    conn.execute(delete(password_links).where(password_links.c.user_id == user_id))


def end_mailed_links(conn: Connection, user_id: int) -> None:
    """A new password ends what was mailed before it: the account's set-password links and an
    address change waiting for its confirmation (asked with the old password)."""
    end_links(conn, user_id)
    drop_links(conn, user_id)


def spend_link(conn: Connection, token: str) -> bool:
    """Use the link up (False: another request spent it first)."""
    done = conn.execute(delete(password_links).where(password_links.c.token_hash == _hash(token)))
    return done.rowcount == 1


def accounts_of_email(conn: Connection, email: str) -> list[int]:
    """The ids of the live, unsuspended accounts with this email address."""
    query = select(users.c.id).where(
        users.c.email == email.lower(), users.c.deleted_at.is_(None), users.c.suspended_at.is_(None)
    )
    return [int(i) for i in conn.execute(query).scalars()]


def emails_in_use(conn: Connection, emails: list[str]) -> set[str]:
    """Which of these (lower-case) addresses an account has already."""
    query = select(users.c.email).where(users.c.email.in_(emails))
    return {str(e) for e in conn.execute(query).scalars()}


def set_email(conn: Connection, user_id: int, email: str | None) -> None:
    """Give the account an address for its set-password links (stored lower-case); a link
    mailed to the address it had stops working."""
    value = email.lower() if email else None
    before = conn.execute(select(users.c.email).where(users.c.id == user_id)).scalar()
    if before != value:  # whoever reads the old mailbox now must not get into the account
        end_links(conn, user_id)
    conn.execute(update(users).where(users.c.id == user_id).values(email=value))
