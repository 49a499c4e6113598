"""Accounts' credentials: user names, argon2 password hashes, the sign-up policy, sessions."""

from __future__ import annotations

import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine

from paperfeed.store.accounts import (
    SessionTerms,
    User,
    UsernameTaken,
    create_session,
    create_user,
    find_user,
    set_password_hash,
    suspended_hash,
)
from paperfeed.store.invites import invite_usable, use_invite
from paperfeed.store.jobs import record_action
from paperfeed.web.deps import Site
from paperfeed.web.passwords import MAX_PASSWORD, password_problem

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a real password")  # keeps unknown-user sign-ins as slow as real
USERNAME_RE = re.compile(r"[A-Za-z0-9_\-]{3,32}\Z")  # \Z: "$" lets a final newline through


class BadCredentials(ValueError):
    """The user name or password is not acceptable, or does not match; `field` is the form
    field it is about ("username" or "password"; "" when it cannot say which)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def check_new_account(username: str, password: str) -> None:
    """Raise BadCredentials unless the name and password are acceptable for a new account."""
    if not USERNAME_RE.match(username):
        raise BadCredentials(
            "a user name has 3 to 32 characters: letters a-z (no accents), digits, '-' or '_'",
            "username",
        )
    problem = password_problem(password, username)
    if problem:
        raise BadCredentials(problem, "password")


def hash_new_password(password: str) -> str:
    """An argon2 hash of a new password."""
    return _hasher.hash(password)


class SignUpRefused(ValueError):
    """The site's sign-up policy does not let this visitor make an account."""


def sign_up(engine: Engine, username: str, password: str, invite: str | None = None) -> User:
    """Create an account with an argon2 hash of the password (spending `invite`, if given,
    in the same transaction: the account exists only if the invite was open)."""
    check_new_account(username, password)
    try:
        with engine.begin() as conn:
            user = create_user(conn, username, _hasher.hash(password))
            if invite is not None:
                if not use_invite(conn, invite, user.username):
                    raise SignUpRefused(INVITE_SPENT)
                record_action(conn, user.username, "sign up by invite", user.username)
            return user
    except UsernameTaken as exc:
        raise BadCredentials(str(exc), "username") from exc


SIGNUP_CLOSED = (
    "sign-up is closed on this site: its administrators make the accounts "
    "(ask one of them for an account)"
)
INVITE_ONLY = (
    "sign-up on this site is by invitation only: open the invite link an administrator gave you"
)
INVITE_SPENT = (
    "this invite link no longer works: it was used already, revoked or has expired "
    "(ask an administrator for a new one)"
)


def signup_refusal(site: Site, invite: str) -> str | None:
    """Why the sign-up policy refuses a sign-up with this invite token ("" for none), or None."""
    policy = site.settings.signup
    if policy == "open":
        return None
    if policy == "closed":
        return SIGNUP_CLOSED
    if not invite:
        return INVITE_ONLY
    with site.engine.connect() as conn:
        return None if len(invite) <= 64 and invite_usable(conn, invite) else INVITE_SPENT


SUSPENDED = "this account is suspended; the site's admins can restore it"


def _refusal(conn: Connection, username: str, password: str) -> str:
    """Why a sign-in failed: a suspended account is told so, but only with its own password."""
    held = suspended_hash(conn, username) if len(username) <= 64 else None
    if held is not None:
        try:
            _hasher.verify(held, password[:MAX_PASSWORD])
            return SUSPENDED
        except (VerificationError, InvalidHashError):
            pass
    return "wrong user name or password"


def authenticate(engine: Engine, username: str, password: str) -> User:
    """The user whose password this is; BadCredentials otherwise."""
    with engine.begin() as conn:
        found = find_user(conn, username) if len(username) <= 64 else None
        stored = found[1] if found else _DUMMY_HASH
        try:
            _hasher.verify(stored, password[:MAX_PASSWORD])
        except (VerificationError, InvalidHashError):
            found = None
        if found is None:
            raise BadCredentials(_refusal(conn, username, password))
        if _hasher.check_needs_rehash(stored):
            set_password_hash(conn, found[0].id, _hasher.hash(password))
        return found[0]


def start_session(engine: Engine, user: User, terms: SessionTerms) -> str:
    """A new random session token for the user, lasting as `terms` say."""
    token = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        create_session(conn, user.id, token, terms.lasts.days, terms.idle)
    return token
