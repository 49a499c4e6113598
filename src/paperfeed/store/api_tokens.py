"""Personal API tokens: named bearer tokens an account makes on /account for its bots and scripts,
optionally read-only and optionally expiring, each revocable on its own.

Only a SHA-256 digest of a token is kept, as for sessions and links: the token is shown once,
when made. Migration 0032 creates the table. `accounts` finds a token's user (it owns the users
table); what ends sessions (a new password, a lifted suspension, deletion) ends these too.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Row,
    String,
    Table,
    delete,
    func,
    select,
    update,
)

from paperfeed.store.tables import metadata
from paperfeed.util import utcnow

PREFIX = "pf_"  # tells a personal token from a sign-in's (and a secret scanner can find it)
NAME_MAX = 100
MAX_TOKENS = 50  # per account
USE_STEP = timedelta(minutes=1)  # last_used_at is written at most this often

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("name", String(NAME_MAX), nullable=False),
    Column("read_only", Boolean, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_used_at", DateTime),
    Column("expires_at", DateTime),  # None: never
    Index("ix_api_tokens_token_hash", "token_hash", unique=True),
    Index("ix_api_tokens_user_id", "user_id"),
)


@dataclass(frozen=True)
class ApiToken:
    """A personal token as its owner sees it listed (never the token itself)."""

    id: int
    name: str
    read_only: bool
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None

    def expired(self, now: datetime | None = None) -> bool:
        """Whether the token has stopped working by its expiry."""
        return self.expires_at is not None and self.expires_at <= (now or utcnow())


class TooManyTokens(ValueError):
    """The account has MAX_TOKENS already."""


def token_hash(token: str) -> str:
    """The digest a token is stored and looked up under."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def is_personal(token: str) -> bool:
    """Whether a bearer token looks like a personal token (not a sign-in's)."""
    return token.startswith(PREFIX)


def _token(r: Row[Any]) -> ApiToken:
    return ApiToken(
        int(r.id), str(r.name), bool(r.read_only), r.created_at, r.last_used_at, r.expires_at
    )


def create_token(
    conn: Connection, user_id: int, name: str, lasts: timedelta | None, read_only: bool
) -> tuple[ApiToken, str]:
    """A new token for the account, and its secret (to show once); TooManyTokens when it has
    MAX_TOKENS working ones. An expired token does not count: the oldest make way for it."""
    now = utcnow()
    working = api_tokens.c.expires_at.is_(None) | (api_tokens.c.expires_at > now)
    held = select(func.count()).where(api_tokens.c.user_id == user_id, working)
    if conn.execute(held).scalar_one() >= MAX_TOKENS:
        raise TooManyTokens(
            f"an account has at most {MAX_TOKENS} API tokens: revoke one you no longer use first"
        )
    _make_way(conn, user_id, ~working)
    secret = PREFIX + secrets.token_urlsafe(32)
    ends = now + lasts if lasts else None
    row = {"user_id": user_id, "token_hash": token_hash(secret), "name": name}
    made = api_tokens.insert().values(**row, read_only=read_only, created_at=now, expires_at=ends)
    new_id = conn.execute(made).inserted_primary_key[0]  # type: ignore[index]
    return ApiToken(int(new_id), name, read_only, now, None, ends), secret


def _make_way(conn: Connection, user_id: int, expired: ColumnElement[bool]) -> None:
    """Revoke the account's oldest expired tokens beyond MAX_TOKENS - 1 rows: its list stays
    bounded however many short-lived tokens it makes."""
    mine = api_tokens.c.user_id == user_id
    over = conn.execute(select(func.count()).where(mine)).scalar_one() + 1 - MAX_TOKENS
    if over > 0:
        oldest = select(api_tokens.c.id).where(mine, expired).order_by(api_tokens.c.expires_at)
        ids = list(conn.execute(oldest.limit(over)).scalars())
        conn.execute(delete(api_tokens).where(api_tokens.c.id.in_(ids)))


def user_tokens(conn: Connection, user_id: int) -> list[ApiToken]:
    """The account's tokens, newest first (expired ones too, until revoked)."""
    query = select(api_tokens).where(api_tokens.c.user_id == user_id)
    return [_token(r) for r in conn.execute(query.order_by(api_tokens.c.id.desc()))]


def own_token(conn: Connection, user_id: int, token: str) -> ApiToken | None:
    """The account's token with this secret (None: another's, revoked or never made)."""
    mine = (api_tokens.c.token_hash == token_hash(token)) & (api_tokens.c.user_id == user_id)
    row = conn.execute(select(api_tokens).where(mine)).first()
    return _token(row) if row else None


def revoke_token(conn: Connection, user_id: int, token_id: int) -> bool:
    """Delete one of the account's tokens; False when it has none of this id."""
    where = (api_tokens.c.id == token_id) & (api_tokens.c.user_id == user_id)
    return conn.execute(delete(api_tokens).where(where)).rowcount > 0


def revoke_secret(conn: Connection, token: str) -> bool:
    """Delete the token with this secret (a script signing itself out)."""
    where = api_tokens.c.token_hash == token_hash(token)
    return conn.execute(delete(api_tokens).where(where)).rowcount > 0


def end_tokens(conn: Connection, user_id: int) -> int:
    """Delete every token of the account (its password was set anew, or it was suspended)."""
    return conn.execute(delete(api_tokens).where(api_tokens.c.user_id == user_id)).rowcount


def touch(conn: Connection, token_id: int, last: datetime | None, now: datetime) -> None:
    """Record a use, at most once per USE_STEP (not a write per request)."""
    if last is None or now - last >= USE_STEP:
        query = update(api_tokens).where(api_tokens.c.id == token_id)
        conn.execute(query.values(last_used_at=now))
