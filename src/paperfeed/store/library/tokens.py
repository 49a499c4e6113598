"""Private feed tokens: made, revoked and looked up by their hash."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import Connection, delete, func, select

from paperfeed.store.accounts import users
from paperfeed.store.library.tables import feed_tokens
from paperfeed.util import utcnow


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_feed_token(conn: Connection, user_id: int) -> str:
    """Replace the user's private feed token with a new random one (the old URL stops working)."""
    conn.execute(delete(feed_tokens).where(feed_tokens.c.user_id == user_id))
    token = secrets.token_urlsafe(24)
    row = {"token_hash": _hash(token), "user_id": user_id, "created_at": utcnow()}
    conn.execute(feed_tokens.insert().values(**row))
    return token


def revoke_feed_tokens(conn: Connection, user_id: int) -> None:
    """Stop every private feed URL of the user."""
    conn.execute(delete(feed_tokens).where(feed_tokens.c.user_id == user_id))


def has_feed_token(conn: Connection, user_id: int) -> bool:
    """Whether the user has a live private feed URL."""
    query = select(func.count()).where(feed_tokens.c.user_id == user_id)
    return int(conn.execute(query).scalar_one()) > 0


def feed_token_user(conn: Connection, token: str) -> int | None:
    """The id of the user a private feed token belongs to (None while they are suspended)."""
    query = (
        select(feed_tokens.c.user_id)
        .join(users, users.c.id == feed_tokens.c.user_id)
        .where(feed_tokens.c.token_hash == _hash(token), users.c.suspended_at.is_(None))
    )
    found = conn.execute(query).scalar()
    return int(found) if found is not None else None
