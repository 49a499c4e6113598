"""Sign-ins: session tokens and personal API tokens, and whose account each is."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, select, update

from paperfeed.store.accounts.members import User, _active, _user
from paperfeed.store.accounts.tables import sessions, users
from paperfeed.store.api_tokens import api_tokens, end_tokens, is_personal, token_hash, touch
from paperfeed.util import utcnow


def _token_hash(token: str) -> str:
    # Only a hash is stored, so a leaked database does not hand out live sessions.
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SessionTerms:
    """How long a sign-in lasts: in all (`lasts`), and unused (`idle`; None: no idle limit)."""

    lasts: timedelta
    idle: timedelta | None = None

    def end(self, created: datetime, used: datetime) -> datetime:
        """When a session made at `created` and last used at `used` ends."""
        whole = created + self.lasts
        return min(whole, used + self.idle) if self.idle else whole


def create_session(
    conn: Connection, user_id: int, token: str, days: int, idle: timedelta | None = None
) -> None:
    """Remember a sign-in under the hash of its random token (ending after `days`, or once
    unused for `idle`)."""
    now = utcnow()
    row = {"token_hash": _token_hash(token), "user_id": user_id, "created_at": now}
    ends = SessionTerms(timedelta(days=days), idle).end(now, now)
    conn.execute(sessions.insert().values(**row, expires_at=ends))


def session_user(conn: Connection, token: str, terms: SessionTerms | None = None) -> User | None:
    """The user a live session token belongs to; with `terms`, the session counts as used now
    (its idle limit starts again, never past its whole length)."""
    now = utcnow()
    query = (
        select(
            users, sessions.c.created_at.label("s_created"), sessions.c.expires_at.label("s_end")
        )
        .join(sessions, sessions.c.user_id == users.c.id)
        .where(sessions.c.token_hash == _token_hash(token), sessions.c.expires_at > now)
        .where(_active)
    )
    row = conn.execute(query).first()
    if row is None:
        return None
    if terms is not None:
        _renew(conn, token, terms.end(row.s_created, now), row.s_end, terms)
    return _user(row)


def _renew(
    conn: Connection, token: str, ends: datetime, ended: datetime, terms: SessionTerms
) -> None:
    # Written only when the end moves by over 1% of the idle limit: not on every request.
    step = (terms.idle or terms.lasts) / 100
    if abs(ends - ended) > step:
        query = update(sessions).where(sessions.c.token_hash == _token_hash(token))
        conn.execute(query.values(expires_at=ends))


def end_sessions(conn: Connection, user_id: int, keep: str | None = None) -> int:
    """Sign a user out everywhere (a password an admin reset) but the session `keep` (the one
    that changed the password), and end its personal API tokens; how many sessions ended."""
    end_tokens(conn, user_id)
    query = delete(sessions).where(sessions.c.user_id == user_id)
    if keep:
        query = query.where(sessions.c.token_hash != _token_hash(keep))
    return conn.execute(query).rowcount


@dataclass(frozen=True)
class TokenGrant:
    """What a personal API token lets its bearer do: act as its user, only reading when
    `read_only`."""

    token_id: int
    read_only: bool


def token_user(conn: Connection, token: str) -> tuple[User, TokenGrant] | None:
    """The live account a working personal API token is for, and what it may do; its use is
    recorded (at most once a minute)."""
    now = utcnow()
    unexpired = api_tokens.c.expires_at.is_(None) | (api_tokens.c.expires_at > now)
    query = (
        select(users, api_tokens.c.id.label("t_id"), api_tokens.c.read_only.label("t_ro"))
        .add_columns(api_tokens.c.last_used_at.label("t_used"))
        .join(api_tokens, api_tokens.c.user_id == users.c.id)
        .where(api_tokens.c.token_hash == token_hash(token), unexpired, _active)
    )
    row = conn.execute(query).first()
    if row is None:
        return None
    touch(conn, row.t_id, row.t_used, now)
    return _user(row), TokenGrant(int(row.t_id), bool(row.t_ro))


def session_suspended(conn: Connection, token: str) -> bool:
    """True when a live session token (or personal API token) belongs to a suspended account."""
    if is_personal(token):
        held = select(users.c.id).join(api_tokens, api_tokens.c.user_id == users.c.id)
        found = held.where(api_tokens.c.token_hash == token_hash(token))
        if conn.execute(found.where(users.c.suspended_at.isnot(None))).first() is not None:
            return True
    query = (
        select(users.c.id)
        .join(sessions, sessions.c.user_id == users.c.id)
        .where(sessions.c.token_hash == _token_hash(token), sessions.c.expires_at > utcnow())
        .where(users.c.suspended_at.isnot(None))
    )
    return conn.execute(query).first() is not None


def delete_session(conn: Connection, token: str) -> None:
    """Sign out one session (and drop any expired ones while here)."""
    conn.execute(delete(sessions).where(sessions.c.token_hash == _token_hash(token)))
    conn.execute(delete(sessions).where(sessions.c.expires_at <= utcnow()))
