"""Unsubscribing: the page that asks first, and the RFC 8058 one-click POST."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from paperfeed.digest.subscribe import (
    Forgotten,
    links_for,
    subscriber_by_unsubscribe_token,
    unsubscribe,
)
from paperfeed.digest.tokens import TokenError
from paperfeed.digest.web.common import DigestSite, _ctx, _message, _page, digest_router

router = digest_router()


@router.get("/unsubscribe", response_class=HTMLResponse)
async def unsubscribe_page(request: Request, token: str = "") -> Response:
    """Ask before leaving: link scanners follow GET links, so only a POST unsubscribes."""
    ctx = _ctx(request)
    try:
        sub = await run_in_threadpool(
            subscriber_by_unsubscribe_token, ctx.engine, ctx.settings, token
        )
    except TokenError as exc:
        return _unsubscribe_refused(ctx, exc)
    if sub.status == "unsubscribed":
        return _message(ctx, "You are unsubscribed", f"No more digests go to {sub.email}.")
    links = links_for(ctx.settings, sub)
    action = "/unsubscribe?" + urlencode({"token": token})
    manage = links.token_url("/preferences", "manage")
    return _page(ctx, "unsubscribe", email=sub.email, action=action, manage_url=manage)


@router.post("/unsubscribe", response_class=HTMLResponse)
async def unsubscribe_now(request: Request, token: str = "") -> Response:
    """RFC 8058 one-click unsubscribe (and the button on the page): no cookies, no login."""
    ctx = _ctx(request)
    try:
        notices = await run_in_threadpool(unsubscribe, ctx.engine, ctx.settings, token)
    except TokenError as exc:
        return _unsubscribe_refused(ctx, exc)
    if notices:
        return _message(
            ctx,
            "You are unsubscribed",
            "No more digests will be sent to this address. Notices of replies to you and of "
            "comments on your papers still come here; each has a link to stop them, and your "
            "profile settings turn them off.",
        )
    return _message(ctx, "You are unsubscribed", "No more digests will be sent to this address.")


def _unsubscribe_refused(ctx: DigestSite, exc: TokenError) -> Response:
    if isinstance(exc, Forgotten):  # forgotten once it left: the link's job is done
        return _message(ctx, "You are unsubscribed", str(exc))
    return _message(ctx, "Link not valid", str(exc), status=400)
