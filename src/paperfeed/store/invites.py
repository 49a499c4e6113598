"""Invite links: an admin's single-use, expiring permission to make one account.

Migration 0023 creates the table. Only a SHA-256 digest of each link's token is kept, as for
sessions and feed tokens: the store cannot hand a live link to whoever reads it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    DateTime,
    Integer,
    String,
    Table,
    and_,
    select,
    update,
)

from paperfeed.store.tables import metadata
from paperfeed.util import utcnow

invites = Table(
    "invites",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_by", String(64), nullable=False),  # the admin's name, or "command line"
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("used_at", DateTime),
    Column("used_by", String(32)),  # the account it made
    Column("revoked_at", DateTime),
)


@dataclass(frozen=True)
class Invite:
    """One invite link as the admin console lists it (never its token)."""

    id: int
    created_by: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_by: str | None
    revoked_at: datetime | None

    def state(self, now: datetime) -> str:
        """In words: open, used, revoked or expired."""
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "open"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_invite(conn: Connection, by: str, days: int, now: datetime | None = None) -> str:
    """A new invite's token, working once within `days`."""
    token, at = secrets.token_urlsafe(24), now or utcnow()
    row = {"token_hash": _hash(token), "created_by": by[:64], "created_at": at}
    conn.execute(invites.insert().values(**row, expires_at=at + timedelta(days=days)))
    return token


def _usable(token: str, now: datetime) -> ColumnElement[bool]:
    return and_(
        invites.c.token_hash == _hash(token),
        invites.c.used_at.is_(None),
        invites.c.revoked_at.is_(None),
        invites.c.expires_at > now,
    )


def invite_usable(conn: Connection, token: str, now: datetime | None = None) -> bool:
    """Whether the token is an open invite: not used, revoked or expired."""
    found = conn.execute(select(invites.c.id).where(_usable(token, now or utcnow()))).first()
    return found is not None


def use_invite(conn: Connection, token: str, username: str, now: datetime | None = None) -> bool:
    """Spend the invite for the account `username` (False: it was not open); once only, also
    when two sign-ups race with one link."""
    at = now or utcnow()
    done = conn.execute(
        update(invites).where(_usable(token, at)).values(used_at=at, used_by=username[:32])
    )
    return done.rowcount == 1


def revoke_invite(conn: Connection, invite_id: int, now: datetime | None = None) -> bool:
    """Stop an open invite (False: there is no such open invite)."""
    query = update(invites).where(
        invites.c.id == invite_id, invites.c.used_at.is_(None), invites.c.revoked_at.is_(None)
    )
    return conn.execute(query.values(revoked_at=now or utcnow())).rowcount == 1


def recent_invites(conn: Connection, limit: int = 50) -> list[Invite]:
    """The newest invites, newest first."""
    query = select(invites).order_by(invites.c.id.desc()).limit(limit)
    return [
        Invite(r.id, r.created_by, r.created_at, r.expires_at, r.used_at, r.used_by, r.revoked_at)
        for r in conn.execute(query)
    ]
