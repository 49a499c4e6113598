"""Confirming an address: the emailed link's page and its button."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from paperfeed.digest.subscribe import confirm, confirm_request, links_for
from paperfeed.digest.subscriber import Subscriber
from paperfeed.digest.tokens import TokenError
from paperfeed.digest.web.common import (
    _HERE,
    DigestSite,
    _ctx,
    _message,
    _page,
    digest_router,
    same_origin,
    wants_json,
)

router = digest_router()


@router.get("/confirm", response_class=HTMLResponse)
async def confirm_page(request: Request, token: str = "") -> Response:
    """The link in the confirmation email: a page whose button confirms. Mail scanners (Safe
    Links, Proofpoint) open every link in a message, so a GET must not confirm."""
    ctx = _ctx(request)
    try:
        sub = await run_in_threadpool(confirm_request, ctx.engine, ctx.settings, token)
    except TokenError as exc:
        return _not_confirmed(ctx, exc)
    if sub.status == "confirmed":  # a link followed again says so, as it does not ask twice
        return _confirmed(ctx, sub)
    digests = sub.prefs.frequency != "none"
    here = _HERE.get()
    if here and wants_json(here[0]):
        return _message(ctx, "Confirm your address", "POST to this link to confirm.")
    action = "/confirm?" + urlencode({"token": token})  # relative: CSP form-action 'self'
    return _page(ctx, "confirm", email=sub.email, digests=digests, action=action)


@router.post("/confirm", response_class=HTMLResponse)
async def confirm_now(request: Request, token: str = "") -> Response:
    """The confirmation page's button: confirms the address by the link's token alone (no
    login; the token, sent only to that address, is what another site cannot forge)."""
    ctx = _ctx(request)
    if not same_origin(request, ctx.settings):
        return _message(ctx, "Not confirmed", "This form was sent from another site.", status=403)
    try:
        sub = await run_in_threadpool(confirm, ctx.engine, ctx.settings, token)
    except TokenError as exc:
        return _not_confirmed(ctx, exc)
    return _confirmed(ctx, sub)


def _not_confirmed(ctx: DigestSite, exc: TokenError) -> Response:
    return _message(
        ctx, "Link not valid", str(exc), "Subscribe again to get a fresh one.", status=400
    )


def _confirmed(ctx: DigestSite, sub: Subscriber) -> Response:
    manage_url = links_for(ctx.settings, sub).token_url("/preferences", "manage")
    if sub.prefs.frequency == "none":
        told = f"Replies and comments on your papers will be emailed to {sub.email}; no digests."
        return _message(ctx, "Address confirmed", told, manage_url=manage_url)
    told = f"Digests will go to {sub.email}. The first one covers the latest papers."
    return _message(ctx, "You are subscribed", told, manage_url=manage_url)
