"""Bearer tokens: login gives one, logout revokes it."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from paperfeed.store.accounts import delete_session
from paperfeed.store.api_tokens import revoke_secret
from paperfeed.util import utcnow
from paperfeed.web import api_links
from paperfeed.web.api.common import _json, stamp
from paperfeed.web.api.schemas import LoggedOutOut, LoginIn, TokenOut
from paperfeed.web.auth import BadCredentials, limited_sign_in, start_session
from paperfeed.web.deps import ApiCsrf, SignedInDep, SiteDep, api_token_of, session_token

router = APIRouter()


CHALLENGE = 'Bearer realm="paperfeed"'  # what a 401 asks for: the token login gives


@router.post(
    "/login",
    response_model=TokenOut,
    summary="Get a bearer token",
    openapi_extra=api_links.links(
        200,
        {
            "Profile": api_links.link(
                "GET", "/api/users/{name}", "Your profile", {"name": "$response.body#/username"}
            )
        },
    ),
)
def login(request: Request, site: SiteDep, body: LoginIn) -> Response:
    """Exchange a user name and password for a token to send as `Authorization: Bearer`."""
    try:
        user = limited_sign_in(site, request, body.username, body.password)
    except BadCredentials as exc:  # a 401 names its scheme (RFC 9110 11.6.1)
        raise HTTPException(401, str(exc), {"WWW-Authenticate": CHALLENGE}) from exc
    terms = site.session_terms
    token = start_session(site.engine, user, terms)
    lasts = utcnow() + terms.lasts  # its end however much it is used (the row's at most)
    idle = int(terms.idle.total_seconds()) if terms.idle else None
    answer = {"token": token, "username": user.username, "expires_at": stamp(lasts)}
    return _json(answer | {"idle_seconds": idle})


@router.post(
    "/logout",
    summary="Revoke the bearer token",
    dependencies=[ApiCsrf],
    response_model=LoggedOutOut,
)
def logout(request: Request, site: SiteDep, user: SignedInDep) -> Response:
    """End the session the request is authenticated with (or revoke its personal API token)."""
    token = session_token(request)
    if token:
        with site.writing() as conn:
            if api_token_of(request) is not None:
                revoke_secret(conn, token)
            else:
                delete_session(conn, token)
    return _json({"ok": True})
