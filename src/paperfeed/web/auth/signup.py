"""A sign-up's email address: checked against the site's domains, and the mailed link."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from paperfeed.digest.subscriber import BadInput, normalise_email
from paperfeed.store.email_links import name_taken
from paperfeed.web.account_mail import mail_signup_link
from paperfeed.web.auth.credentials import BadCredentials, check_new_account, hash_new_password
from paperfeed.web.auth.forms import _form
from paperfeed.web.auth.throttle import limit
from paperfeed.web.deps import Site, html

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
    failed = mail_signup_link(
        site.engine, site.settings, username, address, hash_new_password(password)
    )
    if failed:
        error = "the mail with your link could not be sent; please try again later"
        return _form(
            site, request, True, next_, error, username=username, email=address, status=503
        )
    sent = SIGNUP_SENT.format(address=address, username=username)
    return html(site, request, site.render("email_confirm.html", user=None, sent=sent))
