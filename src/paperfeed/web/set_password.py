"""Set-password links (a welcome to an account an admin made, or a reset) and the form that
mails a reset link: /password/set?token=… and /signin/forgot."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, HTTPException, Query, Request
from fastapi.responses import Response

from paperfeed.digest.subscriber import BadInput, normalise_email
from paperfeed.store.accounts import User, end_sessions, find_user, set_password_hash
from paperfeed.store.jobs import record_action
from paperfeed.store.library import revoke_feed_tokens
from paperfeed.store.password_links import end_mailed_links, link_owner, spend_link
from paperfeed.web.auth import hash_new_password, limit, signed_in_redirect, start_session
from paperfeed.web.deps import FormCsrf, Site, SiteDep, html, say_next
from paperfeed.web.passwords import password_problem
from paperfeed.web.roster import mail_reset_links

router = APIRouter(include_in_schema=False)
SPENT = (
    "this link no longer works: it was used already or has expired "
    "(ask for a new one on the sign-in page's “Forgot your password?”)"
)
SENT = (
    "if an account has that address, a link to set a new password is on its way to it; "
    "the link works once, for an hour"
)
Token = Annotated[str, Query(max_length=200, description="a set-password link's token")]


def _page(site: Site, request: Request, status: int = 200, **context: str) -> Response:
    return html(site, request, site.render("password_set.html", user=None, **context), status)


@router.get("/password/set")
def set_page(request: Request, site: SiteDep, token: Token = "") -> Response:
    """The form to choose a password, if the link still works."""
    with site.engine.connect() as conn:
        owner = link_owner(conn, token) if token else None
    if owner is None:
        return _page(site, request, 400, refused=SPENT)
    return _page(site, request, token=token, username=owner[1])


@router.post("/password/set", dependencies=[FormCsrf])
def set_password(
    request: Request,
    site: SiteDep,
    token: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
) -> Response:
    """Set the password, spend the link, sign the account in (its other sessions end)."""
    with site.engine.begin() as conn:
        owner = link_owner(conn, token)
        if owner is None:
            return _page(site, request, 400, refused=SPENT)
        problem = password_problem(password, owner[1])
        if problem:
            return _page(site, request, 400, token=token, username=owner[1], error=problem)
        if not spend_link(conn, token):  # another request used it meanwhile
            return _page(site, request, 400, refused=SPENT)
        set_password_hash(conn, owner[0], hash_new_password(password))
        end_sessions(conn, owner[0])
        end_mailed_links(conn, owner[0])
        revoke_feed_tokens(conn, owner[0])
        record_action(conn, owner[1], "set password", "by an emailed link")
    user = _signed_in(site, owner)
    session = start_session(site.engine, user, site.session_terms)
    landed = signed_in_redirect(site, request, session, "/")
    return say_next(landed, f"Your password is set: you are signed in as {user.username}.")


def _signed_in(site: Site, owner: tuple[int, str]) -> User:
    with site.engine.connect() as conn:
        found = find_user(conn, owner[1])
    if found is None:  # suspended or deleted in the moment since
        raise HTTPException(403, SPENT)
    return found[0]


@router.get("/signin/forgot")
def forgot_page(request: Request, site: SiteDep) -> Response:
    """The form that asks for the account's email address."""
    return html(site, request, site.render("password_forgot.html", user=None))


@router.post("/signin/forgot", dependencies=[FormCsrf])
def forgot(
    request: Request,
    site: SiteDep,
    tasks: BackgroundTasks,
    email: Annotated[str, Form(max_length=1000)],
) -> Response:
    """Mail a reset link to the accounts with this address; the answer is the same whether
    there are any or not, and the mail goes after it (its time says nothing either)."""
    limit(site, request, "auth")
    try:
        address = normalise_email(email)[1]
    except BadInput as exc:
        body = site.render("password_forgot.html", user=None, error=str(exc), email=email)
        return html(site, request, body, 400)
    tasks.add_task(mail_reset_links, site.engine, site.settings, address)
    return html(site, request, site.render("password_forgot.html", user=None, sent=SENT))
