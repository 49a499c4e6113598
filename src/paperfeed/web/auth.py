"""Accounts: sign up, sign in, sign out; argon2 password hashes and session cookies."""

from __future__ import annotations

import re
import secrets
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine

from paperfeed.store.accounts import (
    User,
    UsernameTaken,
    create_session,
    create_user,
    delete_session,
    find_user,
    set_password_hash,
)
from paperfeed.web.deps import (
    SESSION_COOKIE,
    FormCsrf,
    Site,
    SiteDep,
    UserDep,
    client_key,
    html,
    session_token,
)

router = APIRouter(include_in_schema=False)
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a real password")  # keeps unknown-user sign-ins as slow as real
_USERNAME_RE = re.compile(r"^[A-Za-z0-9_\-]{3,32}$")
MIN_PASSWORD, MAX_PASSWORD = 8, 256


class BadCredentials(ValueError):
    """The user name or password is not acceptable, or does not match."""


def safe_next(target: str | None) -> str:
    """A local path to go to after a form (never another site)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def check_new_account(username: str, password: str) -> None:
    """Raise BadCredentials unless the name and password are acceptable for a new account."""
    if not _USERNAME_RE.match(username):
        raise BadCredentials("a user name has 3 to 32 letters, digits, '-' or '_'")
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise BadCredentials(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")


def sign_up(engine: Engine, username: str, password: str) -> User:
    """Create an account with an argon2 hash of the password."""
    check_new_account(username, password)
    try:
        with engine.begin() as conn:
            return create_user(conn, username, _hasher.hash(password))
    except UsernameTaken as exc:
        raise BadCredentials(str(exc)) from exc


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
            raise BadCredentials("wrong user name or password")
        if _hasher.check_needs_rehash(stored):
            set_password_hash(conn, found[0].id, _hasher.hash(password))
        return found[0]


def start_session(engine: Engine, user: User, days: int) -> str:
    """A new random session token for the user."""
    token = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        create_session(conn, user.id, token, days)
    return token


def _is_https(site: Site, request: Request) -> bool:
    return request.url.scheme == "https" or site.settings.public_url.startswith("https://")


def signed_in_redirect(site: Site, request: Request, token: str, target: str) -> Response:
    """Redirect with the session cookie set (HttpOnly, SameSite=Lax, Secure over https)."""
    response = RedirectResponse(safe_next(target), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=site.settings.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=_is_https(site, request),
    )
    return response


def limit(site: Site, request: Request, what: str) -> None:
    """Refuse with 429 when this client is over its rate limit."""
    limiter = site.submit_limiter if what == "submit" else site.auth_limiter
    wait = limiter.hit(f"{what}:{client_key(request)}")
    if wait is not None:
        raise HTTPException(
            429,
            f"too many attempts; try again in {int(wait) + 1} seconds",
            headers={"Retry-After": str(int(wait) + 1)},
        )


def _form(
    site: Site, request: Request, signup: bool, next_: str, error: str = "", **kw: str
) -> Response:
    heading, action = ("Sign up", "/signup") if signup else ("Sign in", "/signin")
    body = site.render(
        "account.html",
        heading=heading,
        action=action,
        signup=signup,
        next=safe_next(next_),
        error=error,
        user=None,
        **kw,
    )
    return html(site, request, body, 400 if error else 200)


@router.get("/signin")
def signin_page(request: Request, site: SiteDep, user: UserDep, next: str = "/") -> Response:
    """The sign-in form."""
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _form(site, request, False, next)


@router.get("/signup")
def signup_page(request: Request, site: SiteDep, user: UserDep, next: str = "/") -> Response:
    """The sign-up form."""
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _form(site, request, True, next)


Text = Annotated[str, Form(max_length=1000)]


@router.post("/signin", dependencies=[FormCsrf])
def signin(
    request: Request, site: SiteDep, username: Text, password: Text, next: Text = "/"
) -> Response:
    """Check the password and start a session."""
    return _enter(site, request, False, username, password, next)


@router.post("/signup", dependencies=[FormCsrf])
def signup(
    request: Request, site: SiteDep, username: Text, password: Text, next: Text = "/"
) -> Response:
    """Create an account and sign it in."""
    return _enter(site, request, True, username, password, next)


def _enter(
    site: Site, request: Request, new: bool, username: str, password: str, next_: str
) -> Response:
    limit(site, request, "auth")
    try:
        check = sign_up if new else authenticate
        user = check(site.engine, username.strip(), password)
    except BadCredentials as exc:
        return _form(site, request, new, next_, str(exc), username=username)
    token = start_session(site.engine, user, site.settings.session_days)
    return signed_in_redirect(site, request, token, next_)


@router.post("/signout", dependencies=[FormCsrf])
def signout(request: Request, site: SiteDep) -> Response:
    """End this session."""
    token = session_token(request)
    if token:
        with site.engine.begin() as conn:
            delete_session(conn, token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax")
    return response
