"""An account's email address: a signed-in reader adds, changes or removes it on /account (a new
one counts once the link mailed to it is followed), and /email/confirm follows such a link, which
also makes the account of a sign-up that had to confirm its address."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection

from paperfeed.digest.subscribe import follow_account_address, notices_to_account_address
from paperfeed.digest.subscriber import BadInput, normalise_email
from paperfeed.store.accounts import User, UsernameTaken, create_user, find_user
from paperfeed.store.email_links import EmailLink, account_email, drop_links, find_link, spend_link
from paperfeed.store.jobs import record_action
from paperfeed.store.password_links import emails_in_use, set_email
from paperfeed.web.account_mail import (
    change_link,
    mail_change_link,
    mail_old_address,
    mail_removed_address,
)
from paperfeed.web.auth import (
    CONFIRM_SENT,
    BadCredentials,
    account_home,
    limit,
    limited_sign_in,
    signed_in_redirect,
    start_session,
)
from paperfeed.web.deps import FormCsrf, SignedInDep, Site, SiteDep, UserDep, html, say_next

WRONG_PASSWORD = "that password is not right"  # the form asks for the password alone
router = APIRouter(include_in_schema=False)
SPENT = (
    "this link no longer works: it was used already or has expired "
    "(ask for a new one where you gave the address)"
)
ADDRESS_HELD = (
    "another account has this address already: sign in to that one, or use “Forgot your "
    "password?” on the sign-in page"
)
Token = Annotated[str, Query(max_length=200, description="an email confirmation link's token")]


def _page(site: Site, request: Request, status: int = 200, **context: object) -> Response:
    return html(site, request, site.render("email_confirm.html", user=None, **context), status)


@router.post("/account/email", dependencies=[FormCsrf])
def change_email(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    tasks: BackgroundTasks,
    email: Annotated[str, Form(max_length=1000)],
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Mail the new address a link that makes it the account's (after the password again);
    the current address keeps working until the link is followed."""
    limit(site, request, "auth")
    try:
        address = normalise_email(email)[1]
        limited_sign_in(site, request, user.username, password)
    except (BadInput, BadCredentials) as exc:
        field = "email" if isinstance(exc, BadInput) else "password"  # the field it is tied to
        said = str(exc) if isinstance(exc, BadInput) else WRONG_PASSWORD  # no name was typed
        return account_home(
            site, request, user, 400, email_error=said, email_given=email, email_field=field
        )
    token = change_link(site.engine, site.settings, user.id, address)  # listed as waiting now
    tasks.add_task(mail_change_link, site.engine, site.settings, user.username, address, token)
    response = RedirectResponse("/account#email", status_code=303)
    return say_next(response, CONFIRM_SENT.format(address=address))


@router.post("/account/email/remove", dependencies=[FormCsrf])
def remove_email(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    tasks: BackgroundTasks,
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Take the address off the account after the password again (a borrowed session must not
    cut the owner off from password resets), stop a change waiting for confirmation, and tell
    the address it was removed."""
    try:
        limited_sign_in(site, request, user.username, password)
    except BadCredentials:
        return account_home(site, request, user, 400, remove_error=WRONG_PASSWORD)
    with site.engine.begin() as conn:
        old = account_email(conn, user.id)
        set_email(conn, user.id, None)
        drop_links(conn, user.id)
        record_action(conn, user.username, "remove email", user.username)
    if old is not None:
        tasks.add_task(mail_removed_address, site.engine, site.settings, old, user.username)
    response = RedirectResponse("/account#email", status_code=303)
    return say_next(response, "Your account has no email address now.")


@router.get("/email/confirm")
def confirm_page(request: Request, site: SiteDep, token: Token = "") -> Response:
    """The button that confirms the address (a mail scanner's visit changes nothing)."""
    with site.engine.connect() as conn:
        link = find_link(conn, token) if token else None
    if link is None:
        return _page(site, request, 400, refused=SPENT)
    return _page(site, request, token=token, link=link)


@router.post("/email/confirm", dependencies=[FormCsrf])
def confirm(
    request: Request,
    site: SiteDep,
    user: UserDep,
    tasks: BackgroundTasks,
    token: Annotated[str, Form(max_length=200)],
) -> Response:
    """Make the address the account's (the address it replaces is told), or make the sign-up's
    account and sign it in."""
    with site.engine.begin() as conn:
        link = find_link(conn, token)
        if link is None or not spend_link(conn, token):
            return _page(site, request, 400, refused=SPENT)
        if _held(conn, link):
            return _page(site, request, 409, refused=ADDRESS_HELD)
        old = account_email(conn, link.user_id) if link.user_id is not None else None
        made = _apply(conn, link)
    if isinstance(made, str):
        return _page(site, request, 409, refused=made)
    if made is None:
        if old is not None and old != link.email:
            tasks.add_task(mail_old_address, site.engine, site.settings, old, link)
        return _changed(site, request, user, link)
    session = start_session(site.engine, made, site.session_terms)
    return signed_in_redirect(site, request, session, "/")


def _changed(site: Site, request: Request, user: User | None, link: EmailLink) -> Response:
    """Say the address changed: on the account page when its owner is signed in here, else on
    this page (the link opened on another device, where /account would only ask to sign in)."""
    if user is not None and user.id == link.user_id:
        said = f"Your account's email address is now {link.email}."
        return say_next(RedirectResponse("/account#email", status_code=303), said)
    done = f"The email address of the account {link.username} is now {link.email}."
    return _page(site, request, done=done)


def _held(conn: Connection, link: EmailLink) -> bool:
    """Whether another account has the address already."""
    return (
        bool(emails_in_use(conn, [link.email]))
        and account_email(conn, link.user_id or 0) != link.email
    )


def _apply(conn: Connection, link: EmailLink) -> User | str | None:
    """Set the address (None), or make the sign-up's account (the User, or why not)."""
    if link.user_id is not None:
        was = account_email(conn, link.user_id)
        set_email(conn, link.user_id, link.email)
        follow_account_address(conn, link.user_id, was, link.email)
        notices_to_account_address(conn, link.user_id, link.email)
        record_action(conn, link.username, "confirm email", link.username)
        return None
    assert link.password_hash is not None  # a sign-up's link has one
    try:
        user = create_user(conn, link.username, link.password_hash)
    except UsernameTaken:
        return f"the user name {link.username!r} was taken meanwhile: sign up again with another"
    set_email(conn, user.id, link.email)
    notices_to_account_address(conn, user.id, link.email)
    record_action(conn, user.username, "sign up", "by a confirmed email address")
    found = find_user(conn, user.username)
    return found[0] if found else user
