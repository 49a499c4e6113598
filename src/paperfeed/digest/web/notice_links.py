"""Notice emails' links: stopping them, and linking an address to an account."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from paperfeed.digest.notices import LINK_PATH, STOP_PATH, notices_stopped, stop_notices
from paperfeed.digest.subscribe import link_account, link_request
from paperfeed.digest.tokens import TokenError
from paperfeed.digest.web.common import _ctx, _message, _page, digest_router, same_origin

router = digest_router()


@router.get(STOP_PATH, response_class=HTMLResponse, include_in_schema=False)
async def stop_notices_page(request: Request, token: str = "") -> Response:
    """Ask before stopping notice emails: link scanners follow GET links, only a POST acts."""
    ctx = _ctx(request)
    try:
        stopped = await run_in_threadpool(notices_stopped, ctx.engine, ctx.settings, token)
    except TokenError as exc:
        return _message(ctx, "Link not valid", str(exc), status=400)
    if stopped:  # a link followed again says so, as it does not ask twice
        lines = ("No emails about replies and comments are sent to you.",
                 "Turn them back on in your settings at any time.")  # fmt: skip
        return _message(ctx, "Notice emails are off", *lines)
    return _page(ctx, "notices_stop", action=f"{STOP_PATH}?" + urlencode({"token": token}))


@router.post(STOP_PATH, response_class=HTMLResponse, include_in_schema=False)
async def stop_notices_now(request: Request, token: str = "") -> Response:
    """RFC 8058 one-click (and the page's button): turns notice emails off, by token alone."""
    ctx = _ctx(request)
    try:
        await run_in_threadpool(stop_notices, ctx.engine, ctx.settings, token)
    except TokenError as exc:
        return _message(ctx, "Link not valid", str(exc), status=400)
    lines = ("No more emails about replies and comments will be sent.",
             "Turn them back on in your settings at any time.")  # fmt: skip
    return _message(ctx, "Notice emails are off", *lines)


@router.get(LINK_PATH, response_class=HTMLResponse, include_in_schema=False)
async def link_account_page(request: Request, token: str = "") -> Response:
    """Ask before linking: a mail scanner that follows the emailed link must not join an
    address to an account; the page names both, and only its button (a POST) links."""
    ctx = _ctx(request)
    try:
        sub, username, linked = await run_in_threadpool(
            link_request, ctx.engine, ctx.settings, token
        )
    except TokenError as exc:
        return _message(ctx, "Link not valid", str(exc), status=400)
    if linked:  # used already: nothing to ask
        line = f"Emails about replies and comments on your papers go to {sub.email} already."
        return _message(ctx, "Address linked", line)
    action = f"{LINK_PATH}?" + urlencode({"token": token})
    return _page(ctx, "notices_link", action=action, email=sub.email, username=username)


@router.post(LINK_PATH, response_class=HTMLResponse, include_in_schema=False)
async def link_account_now(request: Request, token: str = "") -> Response:
    """The link-account page's button: joins the address to the account, by token alone."""
    ctx = _ctx(request)
    if not same_origin(request, ctx.settings):
        return _message(ctx, "Not linked", "This form was sent from another site.", status=403)
    try:
        sub = await run_in_threadpool(link_account, ctx.engine, ctx.settings, token)
    except TokenError as exc:
        return _message(ctx, "Link not valid", str(exc), status=400)
    line = f"Emails about replies and comments on your papers will go to {sub.email}."
    return _message(ctx, "Address linked", line)
