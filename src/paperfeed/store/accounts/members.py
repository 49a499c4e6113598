"""Users: sign-up, look-up, the admin console's list, the admin role and suspension."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from paperfeed.store.accounts.site import bump_revision
from paperfeed.store.accounts.tables import sessions, users
from paperfeed.store.api_tokens import end_tokens
from paperfeed.store.collection_offers import end_offers
from paperfeed.store.digests import drop_user_notices
from paperfeed.util import utcnow

NEW_ACCOUNT = timedelta(days=1)
# What a deleted account is called wherever its comments and submissions stay: no handle can
# be this (handles have no spaces), and the old handle stays reserved for good.
DELETED_NAME = "deleted account"


def is_new_account(created: datetime, now: datetime | None = None) -> bool:
    """Accounts younger than a day: their links are not clickable, their limits are stricter."""
    return (now or utcnow()) - created < NEW_ACCOUNT


@dataclass(frozen=True)
class User:
    """A signed-up user of the site."""

    id: int
    username: str
    is_admin: bool
    unseen: int = 0  # notifications not opened yet (counted for pages, which show it)
    last_visit: datetime | None = field(default=None, compare=False)  # see store/visits.py
    previous_visit: datetime | None = field(default=None, compare=False)  # None: no badges


class UsernameTaken(ValueError):
    """Someone already has that user name."""


def _user(row: Any) -> User:
    visits = (row.last_visit_at, row.previous_visit_at)
    return User(row.id, row.username, bool(row.is_admin), 0, *visits)


def create_user(conn: Connection, username: str, password_hash: str) -> User:
    """Add a user; raises UsernameTaken when the (case-folded) name is in use."""
    row = {
        "username": username,
        "name_key": username.lower(),
        "password_hash": password_hash,
        "is_admin": False,
        "created_at": utcnow(),
    }
    try:
        with conn.begin_nested():
            new_id = conn.execute(users.insert().values(**row)).inserted_primary_key[0]  # type: ignore[index]
    except IntegrityError as exc:
        raise UsernameTaken(f"the user name {username!r} is taken") from exc
    return User(int(new_id), username, False)


def find_user(conn: Connection, username: str) -> tuple[User, str] | None:
    """A user and their password hash, by case-insensitive user name."""
    query = select(users).where(users.c.name_key == username.lower(), _active)
    row = conn.execute(query).first()
    return (_user(row), row.password_hash) if row else None


def suspended_hash(conn: Connection, username: str) -> str | None:
    """The password hash of a suspended account of this name (None when there is none)."""
    query = select(users.c.password_hash).where(
        users.c.name_key == username.lower(), users.c.suspended_at.isnot(None)
    )
    return conn.execute(query).scalar_one_or_none()


def set_password_hash(conn: Connection, user_id: int, password_hash: str) -> None:
    """Store a re-hashed password (argon2 parameters were raised)."""
    conn.execute(update(users).where(users.c.id == user_id).values(password_hash=password_hash))


def set_admin(conn: Connection, username: str, is_admin: bool) -> bool:
    """Grant or revoke the admin role; False when there is no such user."""
    query = update(users).where(users.c.name_key == username.lower()).values(is_admin=is_admin)
    return conn.execute(query).rowcount > 0


_active = users.c.suspended_at.is_(None) & users.c.deleted_at.is_(None)


@dataclass(frozen=True)
class UserRow:
    """A user as the admin console lists them."""

    id: int
    username: str
    is_admin: bool
    suspended: bool
    created_at: datetime
    deleted: bool = False


def _named(name: str) -> ColumnElement[bool]:
    """Users whose name holds `name` (any case; `%` and `_` are plain characters)."""
    return func.lower(users.c.username).contains(name.lower(), autoescape=True)


def list_users(
    conn: Connection, limit: int = 200, offset: int = 0, name: str = ""
) -> list[UserRow]:
    """Users, newest first; with `name`, those whose name holds it."""
    query = select(users).order_by(users.c.id.desc()).limit(limit).offset(offset)
    if name:
        query = query.where(_named(name))
    return [_user_row(r) for r in conn.execute(query)]


def _user_row(r: Row[Any]) -> UserRow:
    suspended, deleted = r.suspended_at is not None, r.deleted_at is not None
    return UserRow(r.id, r.username, bool(r.is_admin), suspended, r.created_at, deleted)


def user_rows(conn: Connection, ids: Sequence[int]) -> list[UserRow]:
    """The users with these ids, as the console lists them (in id order; unknown ids left out)."""
    query = select(users).where(users.c.id.in_(list(ids))).order_by(users.c.id)
    return [_user_row(r) for r in conn.execute(query)] if ids else []


def count_users(conn: Connection, name: str = "") -> int:
    """How many users `list_users` pages through."""
    query = select(func.count()).select_from(users)
    return int(conn.execute(query.where(_named(name)) if name else query).scalar_one())


def user_by_id(conn: Connection, user_id: int) -> User | None:
    """A user by id (suspended or not)."""
    row = conn.execute(select(users).where(users.c.id == user_id)).first()
    return _user(row) if row else None


def set_suspended(conn: Connection, user_id: int, suspended: bool) -> bool:
    """Suspend a user (sign-in refused, sessions dead, unsent notices and collection hand-over
    offers dropped) or lift it.

    A suspended account's sessions and API tokens stay stored, dead, so that a request made with
    one can be told why it is refused; lifting the suspension deletes them (the user signs in
    again and makes new tokens).
    False when there is no such user.
    """
    value = utcnow() if suspended else None
    found = conn.execute(update(users).where(users.c.id == user_id).values(suspended_at=value))
    if suspended:
        drop_user_notices(conn, user_id, "the account was suspended")
        end_offers(conn, user_id)  # a hand-over needs both accounts active
    else:
        conn.execute(delete(sessions).where(sessions.c.user_id == user_id))
        end_tokens(conn, user_id)
    bump_revision(conn)  # its comments and votes leave (or rejoin) every page
    return found.rowcount > 0
