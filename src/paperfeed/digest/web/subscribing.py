"""Subscribing: the form, the JSON API with its checks, and the demo's mailbox."""

from __future__ import annotations

import json
from collections.abc import Mapping

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from paperfeed.digest import api_doc
from paperfeed.digest.deliver import make_mailer
from paperfeed.digest.mailbox import read_mailbox
from paperfeed.digest.subscribe import RETRY_AFTER, RateLimited, request_subscription
from paperfeed.digest.subscriber import MAX_INTERESTS, BadInput, normalise_email, parse_preferences
from paperfeed.digest.web.common import (
    DigestSite,
    _came_from,
    _client,
    _cross_site,
    _ctx,
    _form,
    _message,
    _origin,
    _page,
    digest_router,
    same_origin,
)
from paperfeed.settings import Settings

CHECK_INBOX = (
    "If that address can receive mail, a confirmation link is on its way. Follow it to start."
)
DEMO_INBOX = (
    "Demo mode: no email leaves this server. The confirmation email, with its link, is in the "
    "demo mailbox."
)

router = digest_router()


_AGAIN = {"description": "to the subscribe box of the home page", "headers": {"Location": {
    "description": "/#subscribe-email", "schema": {"type": "string"}}}}  # fmt: skip


@router.get("/subscribe", status_code=303, response_class=Response, responses={303: _AGAIN})
async def subscribe_again() -> Response:
    """Opened again after a subscription (history, a bookmark): the pages with the form."""
    return RedirectResponse("/#subscribe-email", status_code=303)


@router.post("/subscribe", response_class=HTMLResponse, openapi_extra=api_doc.subscribe_form())
async def subscribe_form(request: Request) -> Response:
    """Subscribe from the form on the site's pages; answers the same whoever is listed."""
    ctx = _ctx(request)
    if not same_origin(request, ctx.settings):
        return _cross_site(ctx)
    data = await _form(request)
    try:
        await run_in_threadpool(_subscribe, ctx, data, request)
    except RateLimited as exc:
        slow = _message(ctx, "Slow down", str(exc), status=429)
        slow.headers["Retry-After"] = RETRY_AFTER
        return slow
    except BadInput as exc:
        back = _came_from(request, ctx.settings)
        links = {"back_url": back} if back else {}
        return _message(ctx, "Not subscribed", str(exc), status=400, **links)
    if ctx.settings.mailbox:
        return _message(
            ctx, "Check the demo mailbox", DEMO_INBOX, mailbox_url="/demo/mailbox", mailbox="1"
        )
    return _message(ctx, "Check your inbox", CHECK_INBOX)


class _NotSignedIn(Exception):
    """A cross-site subscription whose bearer token names no account."""


def _subscribe(
    ctx: DigestSite, data: dict[str, object], request: Request, token_needed: bool = False
) -> None:
    user_id = ctx.account(request, data)
    if token_needed and user_id is None:
        raise _NotSignedIn
    mailer = make_mailer(ctx.settings)
    try:
        prefs = {k: v for k, v in data.items() if k not in ("email", "csrf_token")}
        search = ctx.search() if prefs.get("searches") else None
        email = data.get("email")
        request_subscription(
            ctx.engine, ctx.settings, mailer, email, prefs, _client(request), search, user_id
        )
    finally:
        mailer.close()


@router.post(
    "/api/subscribe",
    status_code=202,
    response_model=api_doc.SubscribedOut,
    openapi_extra=api_doc.subscribe_json(),
)
async def subscribe_api(request: Request) -> JSONResponse:
    """JSON: {"email", "frequency", ...preferences} → 202 and a confirmation email.

    Sent with a bearer token (or a session cookie and X-CSRF-Token), the subscription is linked
    to that account once confirmed: community notices then go to it by email. A body the schema
    refuses is a 422 naming the field. Another site's page may subscribe with a bearer token,
    or without one from an origin PAPERFEED_CORS_ORIGINS names.
    """
    ctx = _ctx(request)
    if not request.headers.get("content-type", "").startswith("application/json"):
        return JSONResponse({"detail": "send a JSON body (Content-Type: application/json)"}, 415)
    cross = not same_origin(request, ctx.settings)
    if cross and not (_bearer(request) or _trusted_origin(request, ctx.settings)):
        return JSONResponse({"detail": CROSS_SITE}, 403)
    try:
        data = _json_body(await request.body())
    except (ValueError, RecursionError):
        return JSONResponse({"detail": "the body is not valid JSON (UTF-8, not too deep)"}, 400)
    if not isinstance(data, dict):
        return JSONResponse({"detail": 'send an object like {"email": "you@example.org"}'}, 400)
    too_many = _too_many(data)
    if too_many:
        return JSONResponse({"detail": too_many}, 400)
    # A token from another site must name an account: it is what lets that site subscribe.
    token_needed = cross and not _trusted_origin(request, ctx.settings)
    try:
        misfit = await run_in_threadpool(_schema_misfit, data)
        if misfit:
            return JSONResponse({"detail": misfit}, 422)
        await run_in_threadpool(_subscribe, ctx, data, request, token_needed)
    except RateLimited as exc:
        return JSONResponse({"detail": str(exc)}, 429, headers={"Retry-After": RETRY_AFTER})
    except BadInput as exc:
        return JSONResponse({"detail": str(exc)}, 400)
    except _NotSignedIn:
        challenge = {"WWW-Authenticate": 'Bearer realm="paperfeed", error="invalid_token"'}
        return JSONResponse({"detail": BAD_TOKEN}, 401, headers=challenge)
    return JSONResponse({"status": "pending", "detail": CHECK_INBOX}, 202)


CROSS_SITE = (
    "cross-site request refused: another site's page subscribes with a bearer token, or from "
    "an origin the server's PAPERFEED_CORS_ORIGINS names"
)
BAD_TOKEN = (
    "that bearer token is not valid (revoked, expired or mistyped): get a new one from "
    "POST /api/login"
)


def _bearer(request: Request) -> bool:
    return request.headers.get("authorization", "").lower().startswith("bearer ")


def _trusted_origin(request: Request, settings: Settings) -> bool:
    """True when the request comes from an origin PAPERFEED_CORS_ORIGINS names (or it is *)."""
    source = request.headers.get("origin") or request.headers.get("referer") or ""
    trusted = set(settings.cors_origins.split(",")) - {""}
    return "*" in trusted or _origin(source) in trusted


def _schema_misfit(data: dict[str, object]) -> str | None:
    """Why a body breaks the documented schema; what the preferences' own checks refuse is
    left to them first (BadInput, a 400 in their words, as the API has always said)."""
    normalise_email(data.get("email"))
    parse_preferences(data)
    return api_doc.schema_problem(data)


def _too_many(data: Mapping[str, object]) -> str | None:
    """Why a list of the body is refused: more entries than the schema's maxItems (repeats count:
    a longer list is not silently cut to the first ones)."""
    for name in api_doc.LISTS:
        value = data.get(name)
        if isinstance(value, list) and len(value) > MAX_INTERESTS:
            return f"{name}: {MAX_INTERESTS} at most, not {len(value)}"
    return None


def _json_body(body: bytes) -> object:
    data = json.loads(body)  # RecursionError when nested too deep
    json.dumps(data, ensure_ascii=False).encode()  # lone surrogates like "\ud800" raise here
    return data


@router.get("/demo/mailbox", response_class=HTMLResponse, include_in_schema=False)
async def mailbox_page(request: Request) -> Response:
    """The demo's mailbox: the emails a demo without a mail server would have sent."""
    ctx = _ctx(request)
    if not ctx.settings.mailbox:
        lines = ("The mailbox exists only in the demo, when no mail server is configured.",)
        return _message(ctx, "Not found", *lines, status=404)
    letters = await run_in_threadpool(read_mailbox, ctx.engine, ctx.settings)
    return _page(ctx, "mailbox", 200, letters=letters, mailbox=True)
