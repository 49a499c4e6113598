"""A user's data rights: download everything kept about the account (a page and the API) and
delete the account, after the password again; admins may delete one from the console too."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from paperfeed.store.accounts import User
from paperfeed.store.collection_editors import used_by_others
from paperfeed.store.erasure import delete_account, export_account
from paperfeed.util import utcnow
from paperfeed.web.auth import BadCredentials, limited_sign_in
from paperfeed.web.deps import (
    SESSION_COOKIE,
    ApiCsrf,
    FormCsrf,
    SignedInDep,
    SignInRequired,
    Site,
    SiteDep,
    UserDep,
    html,
)

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/me", tags=["me"])

Password = Annotated[str, Form(max_length=1000)]


def _export(site: Site, user: User) -> dict[str, Any]:
    with site.engine.connect() as conn:
        found = export_account(conn, user.id)
    if found is None:
        raise HTTPException(404, "no such account")
    return found


def _json(data: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    private = {"Cache-Control": "no-store"} | (headers or {})
    return Response(body, media_type="application/json", headers=private)


@router.get("/account/export.json")
def download_page_export(site: SiteDep, user: SignedInDep) -> Response:
    """Everything kept about your account, as a JSON file to save."""
    name = f"paperfeed-{user.username}-{utcnow():%Y-%m-%d}.json"
    return _json(_export(site, user), {"Content-Disposition": f'attachment; filename="{name}"'})


@api.get("/export", response_model=dict[str, Any])
def api_export(site: SiteDep, user: SignedInDep) -> Response:
    """Everything kept about your account: profile, library, notes, collections, ratings,
    follows, mutes, saved searches, upvotes, submissions, comments, claims, digests and
    notification settings (no password hash, session or feed token); docs/account-export.md
    in the source describes each key."""
    return _json(_export(site, user))


class DeleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is said, not ignored

    password: Annotated[str, Field(min_length=1, max_length=1000, description="your password")]


class DeletedOut(BaseModel):
    deleted: str = Field(description="the handle of the deleted account (kept reserved)")


@api.delete(
    "",
    response_model=DeletedOut,
    summary="Delete your account",
    dependencies=[ApiCsrf],
    responses={403: {"description": "the password is not right: nothing was deleted"}},
)
def api_delete(request: Request, site: SiteDep, user: SignedInDep, body: DeleteIn) -> Response:
    """Delete your account once the password says it is you, as /account/delete does: private
    data, upvotes, claims, digests, sessions, tokens (this one too) and the private feed URL
    go; comments stay as "deleted account", submissions unnamed; the handle stays reserved."""
    try:
        limited_sign_in(site, request, user.username, body.password)
    except BadCredentials as exc:
        raise HTTPException(403, "that password is not right: nothing was deleted") from exc
    with site.writing() as conn:
        delete_account(conn, user.id)
    return _json({"deleted": user.username})


@router.get("/account/delete")
def delete_page(request: Request, site: SiteDep, user: UserDep) -> Response:
    """What deleting the account removes and what stays, and the form that does it."""
    if user is None:  # sent to sign in; a suspended account's session is told why (403)
        raise SignInRequired()
    return _form(site, request, user)


def _form(site: Site, request: Request, user: User, error: str = "") -> Response:
    with site.engine.connect() as conn:
        in_use = used_by_others(conn, user.id)  # named before they go with the account
    body = site.render("account_delete.html", user=user, error=error, in_use=in_use)
    return html(site, request, body, 400 if error else 200)


@router.post("/account/delete", dependencies=[FormCsrf])
def delete_own(request: Request, site: SiteDep, user: SignedInDep, password: Password) -> Response:
    """Delete your account once the password says it is you (under the sign-in limits)."""
    try:
        limited_sign_in(site, request, user.username, password)
    except BadCredentials:
        return _form(site, request, user, "That password is not right: nothing was deleted.")
    with site.writing() as conn:
        delete_account(conn, user.id)
    response = RedirectResponse("/account/deleted", status_code=303)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax")
    return response


@router.get("/account/deleted")
def deleted_page(request: Request, site: SiteDep, user: UserDep) -> Response:
    """Said once an account is deleted."""
    return html(site, request, site.render("account_deleted.html", user=user))
