"""Personal API tokens: made, listed and revoked on /account and at /api/me/tokens, for bots and
scripts that should not hold their owner's password (the store keeps only a digest of each)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from paperfeed.store import api_tokens as store
from paperfeed.store.accounts import User
from paperfeed.web.api import stamp
from paperfeed.web.auth import account_home
from paperfeed.web.deps import (
    ApiCsrf,
    FormCsrf,
    RowId,
    SignedInDep,
    Site,
    SiteDep,
    api_token_of,
    say_next,
)

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/me/tokens", tags=["me"])
JSON = "application/json"
LASTS = {"never": None, "30": 30, "90": 90, "365": 365}  # the choices of expiry, in days
NOT_BY_TOKEN = (
    "an API token cannot make another: make tokens signed in, on /account or with the token "
    "POST /api/login gives"
)

TokenName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=store.NAME_MAX)
]


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is said, not ignored

    name: TokenName = Field(description="what the token is for, e.g. lab slack bot")
    expires_in_days: Literal[30, 90, 365] | None = Field(
        None, description="days until it stops working; null (the default): never"
    )
    # strict: a 0 or "no" read as false would hand out a writing token the script did not mean
    read_only: StrictBool = Field(
        False, description="true: GET requests only; writes answer 403 (true or false)"
    )


class TokenOut(BaseModel):
    id: int
    name: str
    read_only: bool
    created_at: str
    last_used_at: str | None = Field(description="to the minute; null: never used")
    expires_at: str | None = Field(description="null: never")
    expired: bool


class NewTokenOut(TokenOut):
    token: str = Field(description="the token (`pf_...`), shown only in this answer")


class RevokedOut(BaseModel):
    id: int
    removed: bool = Field(description="false when you had no token of this id (any longer)")


def _out(token: store.ApiToken) -> dict[str, object]:
    return {
        "id": token.id,
        "name": token.name,
        "read_only": token.read_only,
        "created_at": stamp(token.created_at),
        "last_used_at": stamp(token.last_used_at),
        "expires_at": stamp(token.expires_at),
        "expired": token.expired(),
    }


def _json(data: object, status: int = 200) -> Response:
    return Response(
        json.dumps(data), status, media_type=JSON, headers={"Cache-Control": "no-store"}
    )


def make_token(
    site: Site, request: Request, user: User, name: str, days: int | None, read_only: bool
) -> tuple[store.ApiToken, str]:
    """A new personal token for a signed-in user (403 for a request made with a token)."""
    if api_token_of(request) is not None:
        raise HTTPException(403, NOT_BY_TOKEN)
    lasts = timedelta(days=days) if days else None
    try:
        with site.writing() as conn:
            made = store.create_token(conn, user.id, name, lasts, read_only)
    except store.TooManyTokens as exc:
        raise HTTPException(409, str(exc)) from exc
    return made


def _revoke(site: Site, user: User, token_id: int) -> bool:
    with site.writing() as conn:
        return store.revoke_token(conn, user.id, token_id)


@api.get("", response_model=list[TokenOut], summary="Your personal API tokens")
def list_tokens(site: SiteDep, user: SignedInDep) -> Response:
    """Your personal API tokens, newest first (never the tokens themselves)."""
    with site.engine.connect() as conn:
        return _json([_out(t) for t in store.user_tokens(conn, user.id)])


@api.post(
    "",
    status_code=201,
    response_model=NewTokenOut,
    summary="Make a personal API token",
    dependencies=[ApiCsrf],
    responses={403: {"description": "asked with a personal API token, not a sign-in"}},
)
def create(request: Request, site: SiteDep, user: SignedInDep, body: TokenIn) -> Response:
    """Make a token to send as `Authorization: Bearer`: asked with a sign-in (a session cookie
    and X-CSRF-Token, or the token POST /api/login gives), never with another personal token.
    The token is in this answer only."""
    made, secret = make_token(site, request, user, body.name, body.expires_in_days, body.read_only)
    return _json(_out(made) | {"token": secret}, 201)


@api.delete(
    "/{token_id}",
    response_model=RevokedOut,
    summary="Revoke a personal API token",
    dependencies=[ApiCsrf],
    description="Revoke one of your tokens: the next request made with it answers 401. "
    "Idempotent: revoking a token you do not have (any longer) answers 200 too, with `removed` "
    "false.",
)
def revoke(site: SiteDep, user: SignedInDep, token_id: RowId) -> Response:
    """Revoke one of your tokens."""
    return _json({"id": token_id, "removed": _revoke(site, user, token_id)})


Lasts = Annotated[Literal["never", "30", "90", "365"], Form()]


SHOWN_COOKIE = "api_token_once"  # the token just made, for the one page that shows it
SHOWN_PATH = "/account/tokens/new"


@router.post("/account/tokens", dependencies=[FormCsrf])
def create_on_page(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    name: Annotated[str, Form(max_length=1000)],
    expires: Lasts = "never",
    read_only: Annotated[bool, Form()] = False,
) -> Response:
    """Make a token from /account; the page it leads to shows it, once (a reload of that page
    makes no second token)."""
    name = name.strip()
    if not name or len(name) > store.NAME_MAX:
        problem = f"name the token (1 to {store.NAME_MAX} characters), e.g. lab slack bot"
        return account_home(site, request, user, 400, token_error=problem, token_given=name)
    try:
        secret = make_token(site, request, user, name, LASTS[expires], read_only)[1]
    except HTTPException as exc:
        if exc.status_code != 409:
            raise
        said = str(exc.detail)
        return account_home(site, request, user, 409, token_error=said, token_given=name)
    shown = RedirectResponse(f"{SHOWN_PATH}#api-tokens", status_code=303)
    https = request.url.scheme == "https" or site.settings.public_url.startswith("https://")
    shown.set_cookie(
        SHOWN_COOKIE, secret, 600, path=SHOWN_PATH, httponly=True, samesite="strict", secure=https
    )
    return shown


@router.get(SHOWN_PATH)
def new_token_page(request: Request, site: SiteDep, user: SignedInDep) -> Response:
    """The account page with the token just made, shown this once; then /account."""
    secret = request.cookies.get(SHOWN_COOKIE, "")
    with site.engine.connect() as conn:
        made = store.own_token(conn, user.id, secret) if secret else None
    if made is None:
        return RedirectResponse("/account#api-tokens", status_code=303)
    shown = account_home(site, request, user, new_token=secret, new_token_name=made.name)
    shown.headers["Cache-Control"] = "no-store"  # the token is on this page only
    shown.delete_cookie(SHOWN_COOKIE, path=SHOWN_PATH, httponly=True, samesite="strict")
    return shown


@router.post("/account/tokens/{token_id}/revoke", dependencies=[FormCsrf])
def revoke_on_page(site: SiteDep, user: SignedInDep, token_id: RowId) -> Response:
    """Revoke one token from /account."""
    gone = _revoke(site, user, token_id)
    said = "The API token is revoked." if gone else "That API token was revoked already."
    return say_next(RedirectResponse("/account#api-tokens", status_code=303), said)
