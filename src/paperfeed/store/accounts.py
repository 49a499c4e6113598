"""Accounts: users, sign-in sessions, upvotes and submissions (tables and queries)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Row,
    String,
    Table,
    Text,
    case,
    delete,
    exists,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.dml import Insert

from paperfeed.store.api_tokens import api_tokens, end_tokens, is_personal, token_hash, touch
from paperfeed.store.collection_offers import end_offers
from paperfeed.store.digests import drop_user_notices
from paperfeed.store.tables import metadata
from paperfeed.util import utcnow

NEW_ACCOUNT = timedelta(days=1)
# What a deleted account is called wherever its comments and submissions stay: no handle can
# be this (handles have no spaces), and the old handle stays reserved for good.
DELETED_NAME = "deleted account"


def is_new_account(created: datetime, now: datetime | None = None) -> bool:
    """Accounts younger than a day: their links are not clickable, their limits are stricter."""
    return (now or utcnow()) - created < NEW_ACCOUNT


users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(32), nullable=False),
    Column("name_key", String(32), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("created_at", DateTime, nullable=False),
    Column("suspended_at", DateTime),  # a suspended user cannot sign in; sessions stop working
    # A deleted account: no private data left, named DELETED_NAME, its handle kept in name_key
    Column("deleted_at", DateTime),
    # Where set-password links go (lower-case; migration 0029); None for most accounts
    Column("email", String(254)),
    # When the reader's last visit and the one before began (0049; store/visits.py)
    Column("last_visit_at", DateTime),
    Column("previous_visit_at", DateTime),
    Index("ix_users_email", "email", unique=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Index("ix_sessions_user_id", "user_id"),
)

votes = Table(
    "votes",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("created_at", DateTime, nullable=False),
    Index("ix_votes_paper_id", "paper_id"),
)

submissions = Table(
    "submissions",
    metadata,
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("day", Date, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index("ix_submissions_day", "day"),
)

site_state = Table(
    "site_state",
    metadata,
    Column("key", String(32), primary_key=True),
    Column("value", Integer, nullable=False),
)


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


@dataclass(frozen=True)
class User:
    """A signed-up user of the site."""

    id: int
    username: str
    is_admin: bool
    unseen: int = 0  # notifications not opened yet (counted for pages, which show it)
    last_visit: datetime | None = field(default=None, compare=False)  # see store/visits.py
    previous_visit: datetime | None = field(default=None, compare=False)  # None: no badges


@dataclass(frozen=True)
class Submission:
    """Who put a paper on which day's page."""

    paper_id: str
    username: str
    day: date


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


def bump_revision(conn: Connection) -> None:
    """Mark the site's community data as changed (cached pages become stale)."""
    query = update(site_state).where(site_state.c.key == "revision")
    conn.execute(query.values(value=site_state.c.value + 1))


def lock_revision(conn: Connection) -> None:
    """Take the lock `bump_revision` takes (SQLite's write lock, PostgreSQL's row lock) without
    marking anything changed: cached pages stay fresh."""
    query = update(site_state).where(site_state.c.key == "revision")
    conn.execute(query.values(value=site_state.c.value))


def set_vote(conn: Connection, user_id: int, paper_id: str, up: bool) -> bool:
    """Add or remove one user's upvote; True when anything changed."""
    where = (votes.c.user_id == user_id) & (votes.c.paper_id == paper_id)
    exists = conn.execute(select(votes.c.user_id).where(where)).first() is not None
    if exists == up:
        return False
    if up:
        try:  # the same user voting twice at once: the second insert finds the first
            with conn.begin_nested():
                row = {"user_id": user_id, "paper_id": paper_id, "created_at": utcnow()}
                conn.execute(votes.insert().values(**row))
        except IntegrityError:
            return False
    else:
        conn.execute(delete(votes).where(where))
    bump_revision(conn)
    return True


def counted_vote() -> ColumnElement[bool]:
    """An upvote that counts: one by an account not suspended (a suspended account's votes
    leave every count and trending while it is suspended, and return when it is lifted)."""
    # Not `user_id IN (active ids)`: PostgreSQL, guessing few active accounts, looped over every
    # account and read its votes; this looks up the voter of each vote it counts.
    voter = users.alias("voter")
    barred = voter.c.suspended_at.is_not(None) | voter.c.deleted_at.is_not(None)
    return ~exists().where(voter.c.id == votes.c.user_id, barred)


def vote_counts(conn: Connection, ids: Sequence[str]) -> dict[str, int]:
    """Site upvotes per paper id (papers without votes are absent)."""
    if not ids:
        return {}
    query = (
        select(votes.c.paper_id, func.count())
        .where(votes.c.paper_id.in_(list(ids)), counted_vote())
        .group_by(votes.c.paper_id)
    )
    return {pid: int(n) for pid, n in conn.execute(query)}


def voted_by(conn: Connection, user_id: int, ids: Sequence[str]) -> set[str]:
    """The ids among `ids` that the user has upvoted."""
    if not ids:
        return set()
    query = select(votes.c.paper_id).where(
        votes.c.user_id == user_id, votes.c.paper_id.in_(list(ids))
    )
    return set(conn.scalars(query))


def add_submission(conn: Connection, paper_id: str, user_id: int, day: date) -> None:
    """Credit a paper to the user who submitted it, on the given day's page."""
    row = {"paper_id": paper_id, "user_id": user_id, "day": day, "created_at": utcnow()}
    conn.execute(submissions.insert().values(**row))
    bump_revision(conn)


def submitter_name() -> ColumnElement[str]:
    """The name a submission is credited to (over `users`): a suspended account's, like a
    deleted one's, is DELETED_NAME while it is suspended, so the site does not show it."""
    hidden = users.c.suspended_at.is_not(None)
    return case((hidden, literal(DELETED_NAME)), else_=users.c.username).label("username")


def get_submissions(conn: Connection, ids: Sequence[str]) -> dict[str, Submission]:
    """Submissions of the given papers, by paper id."""
    if not ids:
        return {}
    query = (
        select(submissions.c.paper_id, submitter_name(), submissions.c.day)
        .join(users, users.c.id == submissions.c.user_id)
        .where(submissions.c.paper_id.in_(list(ids)))
    )
    return {r.paper_id: Submission(r.paper_id, r.username, r.day) for r in conn.execute(query)}


def site_revision(conn: Connection) -> int:
    """The community-data revision counter (personal models are cached per revision)."""
    query = select(site_state.c.value).where(site_state.c.key == "revision")
    return int(conn.execute(query).scalar_one())
