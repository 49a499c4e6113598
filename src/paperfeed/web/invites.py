"""Invite links, made and revoked by admins (the console lists them), for PAPERFEED_SIGNUP=invite.

A link is `/signup?invite=TOKEN`; it makes one account, before it expires, unless revoked.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from paperfeed.settings import Settings
from paperfeed.store.invites import create_invite, revoke_invite
from paperfeed.store.jobs import record_action
from paperfeed.util import utcnow
from paperfeed.web.deps import AdminDep, FormCsrf, RowId, SiteDep, html
from paperfeed.web.roster import import_roster

router = APIRouter(prefix="/admin/invites", include_in_schema=False)
accounts = APIRouter(prefix="/admin/accounts", include_in_schema=False)


def invite_url(settings: Settings, token: str) -> str:
    """The link that signs someone up with this invite."""
    return f"{settings.public_url}/signup?{urlencode({'invite': token})}"


@router.post("", dependencies=[FormCsrf])
def make(request: Request, site: SiteDep, admin: AdminDep) -> Response:
    """Make an invite link and show it, once (only its fingerprint is stored)."""
    days = site.settings.invite_days
    with site.engine.begin() as conn:
        token = create_invite(conn, admin.username, days)
        until = f"{utcnow() + timedelta(days=days):%Y-%m-%d %H:%M} UTC"
        record_action(conn, admin.username, "make invite", f"link until {until}")
    body = site.render(
        "invite_made.html",
        user=admin,
        url=invite_url(site.settings, token),
        until=until,
        policy=site.settings.signup,
    )
    answer = html(site, request, body)
    answer.headers["Cache-Control"] = "no-store"
    return answer


@router.post("/{invite_id}/revoke", dependencies=[FormCsrf])
def revoke(site: SiteDep, admin: AdminDep, invite_id: RowId) -> Response:
    """Stop an open invite link."""
    with site.engine.begin() as conn:
        if not revoke_invite(conn, invite_id):
            raise HTTPException(404, "no such open invite (it may be used or revoked already)")
        record_action(conn, admin.username, "revoke invite", f"invite {invite_id}")
    said = urlencode({"done": f"invite {invite_id} revoked"})
    return RedirectResponse(f"/admin?{said}#invites", status_code=303)


@accounts.post("/import", dependencies=[FormCsrf])
def import_accounts(
    request: Request,
    site: SiteDep,
    admin: AdminDep,
    roster: Annotated[str, Form(max_length=200_000)],
) -> Response:
    """Make the roster's accounts (each mailed a set-password link), or none, saying per line."""
    outcomes = import_roster(site.engine, site.settings, roster, admin.username)
    made = sum(o.ok for o in outcomes)
    body = site.render("accounts_imported.html", user=admin, outcomes=outcomes, made=made)
    answer = html(site, request, body, 200 if made else 400)
    answer.headers["Cache-Control"] = "no-store"  # it may show set-password links
    return answer
