"""The signed-in user's own page: its address, the one awaiting confirmation, its API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from paperfeed.store.accounts import User
from paperfeed.store.api_tokens import user_tokens
from paperfeed.store.email_links import account_email, pending_email
from paperfeed.web import upvoters
from paperfeed.web.deps import SignInRequired, Site, SiteDep, UserDep, html

router = APIRouter(include_in_schema=False)


# The expiries a personal API token can be made with (form value, as the page says it).
TOKEN_LASTS = (("never", "Never"), ("30", "In 30 days"), ("90", "In 90 days"), ("365", "In a year"))


@router.get("/account")
def account_page(request: Request, site: SiteDep, user: UserDep) -> Response:
    """The signed-in user's own page (the name in the header links here)."""
    if user is None:  # sent to sign in; a suspended account's session is told why (403)
        raise SignInRequired()
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
