"""Accounts: sign up, sign in, sign out; argon2 password hashes and session cookies."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from contextlib import suppress
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import APIRouter, BackgroundTasks, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from paperfeed.digest.subscriber import BadInput, normalise_email
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
from paperfeed.store.api_tokens import user_tokens
from paperfeed.store.email_links import account_email, name_taken, pending_email
from paperfeed.store.invites import invite_usable, use_invite
from paperfeed.store.jobs import record_action
from paperfeed.util import is_disk_full
from paperfeed.web import community, upvoters
from paperfeed.web.account_mail import mail_change_link, mail_signup_link
from paperfeed.web.deps import (
    SESSION_COOKIE,
    FormCsrf,
    Site,
    SiteDep,
    UserDep,
    client_key,
    html,
    say_next,
    session_token,
)
from paperfeed.web.feeds import resolve_id
from paperfeed.web.passwords import MAX_PASSWORD, password_problem

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a real password")  # keeps unknown-user sign-ins as slow as real
USERNAME_RE = re.compile(r"[A-Za-z0-9_\-]{3,32}\Z")  # \Z: "$" lets a final newline through


class BadCredentials(ValueError):
    """The user name or password is not acceptable, or does not match; `field` is the form
    field it is about ("username" or "password"; "" when it cannot say which)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def safe_next(target: str | None) -> str:
    """A local path to go to after a form (never another site)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


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


def limit_submitter(site: Site, request: Request, user_id: int) -> None:
    """Refuse a submission with 429 past this client's limit, or past the account's (one
    account submitting from many addresses)."""
    limit(site, request, "submit")
    wait = site.submit_account_limiter.hit(f"submit-account:{user_id}")
    if wait is not None:
        seconds = int(wait) + 1
        raise HTTPException(
            429,
            f"too many submissions from this account; try again in {seconds} seconds",
            headers={"Retry-After": str(seconds)},
        )


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
    status: int = 0,
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
        policy=site.settings.signup,
        email_domains=site.settings.signup_domains if site.settings.signup == "open" else (),
        **kw,
    )
    return html(site, request, body, status or (400 if error else 200))


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


# An invite link's token (`/signup?invite=...`), when sign-up is by invitation.
InviteQuery = Annotated[str, Query(max_length=200, description="an invite link's token")]


@router.get("/signup")
def signup_page(
    request: Request,
    site: SiteDep,
    user: UserDep,
    next: str = "/",
    vote: Vote = "",
    invite: InviteQuery = "",
) -> Response:
    """The sign-up form (or, where the sign-up policy refuses, why not)."""
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    refused = signup_refusal(site, invite)
    if refused:  # said on the page, no form; a link that no longer works is a 403
        status = 403 if invite or site.settings.signup == "closed" else 200
        return _form(site, request, True, next, vote=vote, refused=refused, status=status)
    return _form(site, request, True, next, vote=vote, invite=invite)


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
    tasks: BackgroundTasks,
    username: Text,
    password: Text,
    next: Text = "/",
    vote: PendingVote = "",
    invite: Annotated[str, Form(max_length=200)] = "",
    email: Text = "",
) -> Response:
    """Create an account and sign it in (and count a pending upvote); where sign-up is by
    invitation, only with an open invite, which it spends. A given address is mailed a link
    that makes it the account's; where sign-up is limited to email domains, the account is
    made only when that link is followed."""
    refused = signup_refusal(site, invite)
    if refused:
        raise HTTPException(403, refused)
    spend = invite if site.settings.signup == "invite" else None
    domains = site.settings.signup_domains if spend is None else ()
    address, problem = _signup_email(email, domains)
    if problem:
        return _form(
            site,
            request,
            True,
            next,
            problem,
            vote,
            username=username,
            email=email,
            invite=invite,
            error_field="email",
        )
    if domains:
        return _pending_signup(site, request, (username.strip(), password), address, next)
    response = _enter(site, request, True, (username, password), next, vote, spend, email)
    if address and response.status_code == 303:  # made: mail its address the link
        with site.engine.connect() as conn:
            made = find_user(conn, username.strip())
        if made is not None:
            user = made[0]
            tasks.add_task(
                mail_change_link, site.engine, site.settings, user.id, user.username, address
            )
            say_next(response, CONFIRM_SENT.format(address=address))
    return response


CONFIRM_SENT = (
    "A link to confirm {address} is on its way to it: the address becomes your account's when "
    "you follow it (within a day)."
)
SIGNUP_SENT = (
    "A link is on its way to {address}: your account {username} is made when you follow it "
    "(within a day)."
)


def in_domains(address: str, domains: tuple[str, ...]) -> bool:
    """Whether the address is at one of the domains (or a subdomain of one)."""
    host = address.rpartition("@")[2].lower()
    return any(host == d or host.endswith(f".{d}") for d in domains)


def _signup_email(email: str, domains: tuple[str, ...]) -> tuple[str, str]:
    """The sign-up's checked address ("" for none) and why it is refused ("" if it is not)."""
    needed = " or ".join(domains)
    if not email.strip():
        return (
            ("", f"sign-up on this site needs an email address at {needed}")
            if domains
            else ("", "")
        )
    try:
        address = normalise_email(email)[1]
    except BadInput as exc:
        return "", str(exc)
    if domains and not in_domains(address, domains):
        return "", f"sign-up on this site needs an email address at {needed}"
    return address, ""


def _pending_signup(
    site: Site, request: Request, login: tuple[str, str], address: str, next_: str
) -> Response:
    """Mail the address the link that makes the account; nothing is made before."""
    username, password = login
    limit(site, request, "auth")
    try:
        check_new_account(username, password)
        with site.engine.connect() as conn:
            if name_taken(conn, username):
                raise BadCredentials(f"the user name {username!r} is taken", "username")
    except BadCredentials as exc:
        return _form(
            site,
            request,
            True,
            next_,
            str(exc),
            username=username,
            email=address,
            error_field=exc.field,
        )
    failed = mail_signup_link(site.engine, site.settings, username, address, _hasher.hash(password))
    if failed:
        error = "the mail with your link could not be sent; please try again later"
        return _form(
            site, request, True, next_, error, username=username, email=address, status=503
        )
    sent = SIGNUP_SENT.format(address=address, username=username)
    return html(site, request, site.render("email_confirm.html", user=None, sent=sent))


def _enter(
    site: Site,
    request: Request,
    new: bool,
    login: tuple[str, str],
    next_: str,
    vote: str,
    invite: str | None = None,
    email: str = "",
) -> Response:
    username, password = login
    try:
        if new:
            limit(site, request, "auth")
            user = sign_up(site.engine, username.strip(), password, invite)
        else:
            user = limited_sign_in(site, request, username.strip(), password)
    except BadCredentials as exc:
        return _form(
            site,
            request,
            new,
            next_,
            str(exc),
            vote,
            username=username,
            email=email,  # a refused sign-up's form comes back filled in, but the password
            invite=invite or "",
            error_field=exc.field,
        )
    except SignUpRefused as exc:  # the invite was spent by another sign-up meanwhile
        raise HTTPException(403, str(exc)) from exc
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
    """End this session; the cookie goes even when the store cannot be written (a full disk)."""
    token = session_token(request)
    response = RedirectResponse("/", status_code=303)
    try:
        if token:
            with site.engine.begin() as conn:
                delete_session(conn, token)
    except OperationalError as exc:
        if not is_disk_full(exc):
            raise
        log.error("disk full on sign-out: the session stays in the store until it expires")
        say_next(response, _NOT_ENDED.format(days=site.settings.session_days))
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax")
    return response


_NOT_ENDED = (
    "You are signed out in this browser. The server's disk is full, so the sign-in could not "
    "be ended on the server: it ends by itself within {days} days, or at once when you change "
    "your password."
)


# The expiries a personal API token can be made with (form value, as the page says it).
TOKEN_LASTS = (("never", "Never"), ("30", "In 30 days"), ("90", "In 90 days"), ("365", "In a year"))


@router.get("/account")
def account_page(request: Request, site: SiteDep, user: UserDep) -> Response:
    """The signed-in user's own page (the name in the header links here)."""
    if user is None:
        return RedirectResponse("/signin?next=/account", status_code=303)
    return account_home(site, request, user)


def account_home(
    site: Site, request: Request, user: User, status: int = 200, **extra: str
) -> Response:
    """The account page, with its address, the one waiting for confirmation, and `extra`."""
    with site.engine.connect() as conn:
        public = upvoters.shows_upvotes(conn, user.id)
        email, pending = account_email(conn, user.id), pending_email(conn, user.id)
        tokens = user_tokens(conn, user.id)
    body = site.render(
        "account_home.html",
        user=user,
        public_upvotes=public,
        email=email,
        pending=pending,
        tokens=tokens,
        token_lasts=TOKEN_LASTS,
        **extra,
    )
    return html(site, request, body, status)
