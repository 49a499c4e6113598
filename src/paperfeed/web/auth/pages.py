"""The sign-in, sign-up and sign-out routes (and the names other sites use for them)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import suppress
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import OperationalError

from paperfeed.store.accounts import User, delete_session, find_user
from paperfeed.util import is_disk_full
from paperfeed.web import community
from paperfeed.web.account_mail import change_link, mail_change_link
from paperfeed.web.auth.credentials import (
    BadCredentials,
    SignUpRefused,
    sign_up,
    signup_refusal,
    start_session,
)
from paperfeed.web.auth.forms import _form
from paperfeed.web.auth.redirects import safe_next, signed_in_redirect
from paperfeed.web.auth.signup import CONFIRM_SENT, _pending_signup, _signup_email
from paperfeed.web.auth.throttle import limit, limited_sign_in
from paperfeed.web.deps import (
    SESSION_COOKIE,
    FormCsrf,
    Site,
    SiteDep,
    UserDep,
    say_next,
    session_token,
)
from paperfeed.web.feeds import resolve_id

log = logging.getLogger("paperfeed.web.auth")
router = APIRouter(include_in_schema=False)


# The paper an anonymous upvote was for: counted once the visitor has signed in.
Vote = Annotated[str, Query(max_length=64, description="a paper id whose upvote is pending")]


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
            token = change_link(site.engine, site.settings, user.id, address)
            settings = site.settings
            tasks.add_task(mail_change_link, site.engine, settings, user.username, address, token)
            say_next(response, CONFIRM_SENT.format(address=address))
    return response


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
