"""Accounts: sign up, sign in, sign out; argon2 password hashes and session cookies."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from contextlib import suppress
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection, Engine

from paperfeed.store.accounts import (
    SessionTerms,
    User,
    UsernameTaken,
    create_session,
    create_user,
    delete_session,
    find_user,
    set_password_hash,
    suspended_hash,
)
from paperfeed.web import community
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
from paperfeed.web.feeds import resolve_id
from paperfeed.web.passwords import MAX_PASSWORD, password_problem

router = APIRouter(include_in_schema=False)
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a real password")  # keeps unknown-user sign-ins as slow as real
_USERNAME_RE = re.compile(r"^[A-Za-z0-9_\-]{3,32}$")


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
        raise BadCredentials(
            "a user name has 3 to 32 characters: letters a-z (no accents), digits, '-' or '_'"
        )
    problem = password_problem(password, username)
    if problem:
        raise BadCredentials(problem)


def hash_new_password(password: str) -> str:
    """An argon2 hash of a new password."""
    return _hasher.hash(password)


def sign_up(engine: Engine, username: str, password: str) -> User:
    """Create an account with an argon2 hash of the password."""
    check_new_account(username, password)
    try:
        with engine.begin() as conn:
            return create_user(conn, username, _hasher.hash(password))
    except UsernameTaken as exc:
        raise BadCredentials(str(exc)) from exc


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
    """Refuse with 429 when this client is over its rate limit (submit, or "auth": sign-up)."""
    limiter = site.submit_limiter if what == "submit" else site.auth_limiter
    wait = limiter.hit(f"{what}:{client_key(request)}")
    if wait is not None:
        raise _too_many(wait)


def _too_many(wait: float) -> HTTPException:
    return HTTPException(
        429,
        f"too many attempts; try again in {int(wait) + 1} seconds",
        headers={"Retry-After": str(int(wait) + 1)},
    )


def limited_sign_in(site: Site, request: Request, username: str, password: str) -> User:
    """`authenticate` under the sign-in limits: failures count, a right password does not."""
    address = client_key(request)
    attempt = site.sign_in_limits.begin(address, username)
    if attempt.wait is not None:
        raise _too_many(attempt.wait)
    user = authenticate(site.engine, username, password)
    site.sign_in_limits.succeeded(attempt)
    return user


def _form(
    site: Site,
    request: Request,
    signup: bool,
    next_: str,
    error: str = "",
    vote: str = "",
    **kw: str,
) -> Response:
    heading, action = ("Sign up", "/signup") if signup else ("Sign in", "/signin")
    body = site.render(
        "account.html",
        heading=heading,
        action=action,
        signup=signup,
        next=safe_next(next_),
        error=error,
        vote=vote if _PENDING_VOTE_RE.match(vote) else "",
        user=None,
        **kw,
    )
    return html(site, request, body, 400 if error else 200)


# The paper an anonymous upvote was for: counted once the visitor has signed in.
Vote = Annotated[str, Query(max_length=64, description="a paper id whose upvote is pending")]
_PENDING_VOTE_RE = re.compile(r"^[A-Za-z0-9.\-/]{1,64}$")


@router.get("/signin")
def signin_page(
    request: Request, site: SiteDep, user: UserDep, next: str = "/", vote: Vote = ""
) -> Response:
    """The sign-in form."""
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _form(site, request, False, next, vote=vote)


@router.get("/signup")
def signup_page(
    request: Request, site: SiteDep, user: UserDep, next: str = "/", vote: Vote = ""
) -> Response:
    """The sign-up form."""
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _form(site, request, True, next, vote=vote)


# The names other sites use for these pages (Hugging Face, GitHub, most forums): a reader who
# types one lands on ours, with its query (`next`, `vote`) kept.
ALIASES = {"/login": "/signin", "/register": "/signup", "/join": "/signup"}


def _alias(to: str) -> Callable[[Request], Response]:
    def moved(request: Request) -> Response:
        query = request.url.query
        return RedirectResponse(to + (f"?{query}" if query else ""), status_code=308)

    return moved


for _old, _new in ALIASES.items():
    router.add_api_route(_old, _alias(_new), methods=["GET"], include_in_schema=False)


Text = Annotated[str, Form(max_length=1000)]
PendingVote = Annotated[str, Form(max_length=64)]


@router.post("/signin", dependencies=[FormCsrf])
def signin(
    request: Request,
    site: SiteDep,
    username: Text,
    password: Text,
    next: Text = "/",
    vote: PendingVote = "",
) -> Response:
    """Check the password and start a session (and count a pending upvote)."""
    return _enter(site, request, False, (username, password), next, vote)


@router.post("/signup", dependencies=[FormCsrf])
def signup(
    request: Request,
    site: SiteDep,
    username: Text,
    password: Text,
    next: Text = "/",
    vote: PendingVote = "",
) -> Response:
    """Create an account and sign it in (and count a pending upvote)."""
    return _enter(site, request, True, (username, password), next, vote)


def _enter(
    site: Site, request: Request, new: bool, login: tuple[str, str], next_: str, vote: str
) -> Response:
    username, password = login
    try:
        if new:
            limit(site, request, "auth")
            user = sign_up(site.engine, username.strip(), password)
        else:
            user = limited_sign_in(site, request, username.strip(), password)
    except BadCredentials as exc:
        return _form(site, request, new, next_, str(exc), vote, username=username)
    token = start_session(site.engine, user, site.session_terms)
    earlier = session_token(request)
    if earlier:  # signing in over a session (another account's, or this one's) ends it
        with site.engine.begin() as conn:
            delete_session(conn, earlier)
    if vote:
        _count_pending_vote(site, user, vote)
    return signed_in_redirect(site, request, token, next_)


def _count_pending_vote(site: Site, user: User, paper_id: str) -> None:
    with suppress(HTTPException):  # the paper is gone or hidden: signing in still works
        community.vote(site, user, resolve_id(paper_id), True)


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


@router.get("/account")
def account_page(request: Request, site: SiteDep, user: UserDep) -> Response:
    """The signed-in user's own page (the name in the header links here)."""
    if user is None:
        return RedirectResponse("/signin?next=/account", status_code=303)
    return html(site, request, site.render("account_home.html", user=user))
